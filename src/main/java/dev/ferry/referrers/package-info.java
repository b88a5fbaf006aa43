/**
 * Attached artifacts travel with an image (issue 12): discovering what is attached to an image at a registry (the OCI
 * 1.1 referrers API, the {@code sha256-<hex>} fallback index tag, cosign's {@code sha256-<hex>.sig/.att/.sbom} tags)
 * and copying it after the image ({@link dev.ferry.referrers.ReferrerCopier}, an
 * {@link dev.ferry.transfer.AfterImagePush} step).
 */
package dev.ferry.referrers;
