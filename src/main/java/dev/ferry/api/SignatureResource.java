package dev.ferry.api;

import dev.ferry.error.FerryException;
import dev.ferry.error.RequestFields;
import dev.ferry.signature.StandaloneSignatures;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** skopeo's standalone-sign and standalone-verify. Thin: decode, delegate, shape. */
@Path("/api/v1")
public class SignatureResource {
    private final StandaloneSignatures signatures;

    public SignatureResource(StandaloneSignatures signatures) {
        this.signatures = signatures;
    }

    @POST
    @Path("/standalone-sign")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, String> sign(StandaloneSignRequest body) {
        StandaloneSignRequest r = RequestFields.body(body);
        StandaloneSignatures.Signed s = signatures.sign(manifest(r.manifest(), r.manifestBase64()), r.dockerReference(), r.signBy());
        Map<String, String> out = new LinkedHashMap<>();
        out.put("signature", Base64.getEncoder().encodeToString(s.signature()));
        out.put("fingerprint", s.fingerprint());
        out.put("dockerReference", s.dockerReference());
        out.put("digest", s.digest().toString());
        return out;
    }

    @POST
    @Path("/standalone-verify")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, String> verify(StandaloneVerifyRequest body) {
        StandaloneVerifyRequest r = RequestFields.body(body);
        byte[] signature = base64("signature", RequestFields.required("signature", r.signature()));
        StandaloneSignatures.Verified v = signatures.verify(manifest(r.manifest(), r.manifestBase64()), r.dockerReference(),
                r.expectedFingerprint(), signature, r.publicKey());
        Map<String, String> out = new LinkedHashMap<>();
        out.put("fingerprint", v.fingerprint());
        out.put("dockerReference", v.dockerReference());
        out.put("digest", v.digest());
        return out;
    }

    private static byte[] manifest(String text, String b64) {
        if ((text == null) == (b64 == null)) {
            throw FerryException.invalidField("manifest", "give exactly one of manifest (its text) and manifestBase64");
        }
        byte[] m = text != null ? text.getBytes(StandardCharsets.UTF_8) : base64("manifestBase64", b64);
        if (m.length == 0) {
            throw FerryException.invalidField(text != null ? "manifest" : "manifestBase64", "is empty");
        }
        return m;
    }

    private static byte[] base64(String field, String value) {
        try {
            return Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw FerryException.invalidField(field, "is not base64");
        }
    }
}
