package dev.ferry.signature;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;
import org.bouncycastle.util.encoders.Hex;

/**
 * OpenPGP as containers/image's simple signing uses it: a signature is a signed OpenPGP message (optionally
 * compressed: one-pass signature, literal data, signature) whose literal data is the JSON payload. Verification
 * yields the payload and the fingerprint of the key that signed; signing makes the same kind of message, as gpg does.
 * Pure computation on bytes: no files, no agent.
 */
public final class OpenPgp {
    /** Signatures and payloads larger than this are refused unread (c/image caps a signature at 4 MiB). */
    static final int MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
    /** BouncyCastle's provider for OpenPGP's algorithms (EdDSA, legacy curves), used here only, never registered. */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private OpenPgp() {
    }

    /** A verified message: its payload, and the upper-case hex fingerprint of the key that made the signature. */
    public record Verified(byte[] payload, String fingerprint) {
    }

    /** A signature that does not verify, with why (never the payload: it is untrusted). */
    public static final class InvalidSignature extends Exception {
        public InvalidSignature(String message) {
            super(message);
        }
    }

    /** Public key rings from a file as gpg --export writes it, armored or binary. */
    public static PGPPublicKeyRingCollection publicKeys(byte[] data, String name) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(data))) {
            List<PGPPublicKeyRing> rings = new ArrayList<>();
            JcaPGPObjectFactory f = new JcaPGPObjectFactory(in);
            Object o;
            while ((o = f.nextObject()) != null) {
                if (o instanceof PGPPublicKeyRing r) {
                    rings.add(r);
                } else if (o instanceof PGPSecretKeyRing s) {
                    List<PGPPublicKey> keys = new ArrayList<>();
                    s.getPublicKeys().forEachRemaining(keys::add);
                    rings.add(new PGPPublicKeyRing(keys));
                }
            }
            return new PGPPublicKeyRingCollection(rings);
        } catch (IOException | RuntimeException e) {
            throw new PolicyParser.PolicyException(name + " is not an OpenPGP key file");
        }
    }

    /** Secret key rings from a file as gpg --export-secret-keys writes it, armored or binary. */
    public static PGPSecretKeyRingCollection secretKeys(byte[] data, String name) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(data))) {
            return new PGPSecretKeyRingCollection(in, new JcaKeyFingerprintCalculator());
        } catch (IOException | PGPException | RuntimeException e) {
            throw new PolicyParser.PolicyException(name + " is not an OpenPGP secret key file");
        }
    }

    public static String fingerprint(PGPPublicKey key) {
        return Hex.toHexString(key.getFingerprint()).toUpperCase(Locale.ROOT);
    }

    /**
     * Verifies {@code signature} against {@code trusted}: a key of theirs (primary or subkey) must have made it over the
     * literal data. Fails for anything else: no signature, an unknown key, a bad signature, trailing packets.
     */
    public static Verified verify(byte[] signature, PGPPublicKeyRingCollection trusted) throws InvalidSignature {
        if (signature.length > MAX_SIGNATURE_BYTES) {
            throw new InvalidSignature("the signature is larger than " + MAX_SIGNATURE_BYTES + " bytes");
        }
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
            JcaPGPObjectFactory f = new JcaPGPObjectFactory(in);
            Object o = f.nextObject();
            if (o instanceof PGPCompressedData c) {
                f = new JcaPGPObjectFactory(c.getDataStream());
                o = f.nextObject();
            }
            if (!(o instanceof PGPOnePassSignatureList ops) || ops.size() != 1) {
                throw new InvalidSignature("not a signed OpenPGP message");
            }
            PGPOnePassSignature onePass = ops.get(0);
            PGPPublicKey key = trusted.getPublicKey(onePass.getKeyID());
            if (key == null) {
                throw new InvalidSignature("signed by key ID " + keyId(onePass.getKeyID()) + ", which is not trusted");
            }
            onePass.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), key);
            if (!(f.nextObject() instanceof PGPLiteralData literal)) {
                throw new InvalidSignature("the OpenPGP message has no literal data");
            }
            byte[] payload = readBounded(literal.getInputStream());
            onePass.update(payload);
            if (!(f.nextObject() instanceof PGPSignatureList sigs) || sigs.size() != 1) {
                throw new InvalidSignature("the OpenPGP message has no signature");
            }
            PGPSignature sig = sigs.get(0);
            if (sig.getKeyID() != onePass.getKeyID() || !onePass.verify(sig)) {
                throw new InvalidSignature("the signature by " + fingerprint(key) + " does not verify");
            }
            if (!key.hasRevocation() && key.getValidSeconds() > 0
                    && key.getCreationTime().getTime() + key.getValidSeconds() * 1000 < System.currentTimeMillis()) {
                throw new InvalidSignature("key " + fingerprint(key) + " has expired");
            }
            if (key.hasRevocation()) {
                throw new InvalidSignature("key " + fingerprint(key) + " is revoked");
            }
            return new Verified(payload, fingerprint(key));
        } catch (InvalidSignature e) {
            throw e;
        } catch (IOException | PGPException | RuntimeException e) {
            throw new InvalidSignature("not a valid OpenPGP signature");
        }
    }

    /** The signing key {@code id} names (a fingerprint, or a 16-digit key ID), or null. */
    public static PGPSecretKey signingKey(PGPSecretKeyRingCollection keys, String id) {
        String want = id.replace(" ", "").toUpperCase(Locale.ROOT);
        if (want.startsWith("0X")) {
            want = want.substring(2);
        }
        for (Iterator<PGPSecretKeyRing> rings = keys.getKeyRings(); rings.hasNext(); ) {
            for (Iterator<PGPSecretKey> it = rings.next().getSecretKeys(); it.hasNext(); ) {
                PGPSecretKey k = it.next();
                String fpr = fingerprint(k.getPublicKey());
                if ((fpr.equals(want) || (want.length() == 16 && fpr.endsWith(want))) && k.isSigningKey()
                        && !k.isPrivateKeyEmpty()) {
                    return k;
                }
            }
        }
        return null;
    }

    /** A signed OpenPGP message (compressed, one-pass) over {@code payload}, as gpg --sign makes it. */
    public static byte[] sign(byte[] payload, PGPSecretKey key, char[] passphrase, Date when) throws PGPException {
        PGPPrivateKey priv = key.extractPrivateKey(new JcePBESecretKeyDecryptorBuilder().setProvider(BC).build(passphrase));
        PGPSignatureGenerator gen = new PGPSignatureGenerator(
                new JcaPGPContentSignerBuilder(key.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256).setProvider(BC),
                key.getPublicKey());
        gen.init(PGPSignature.BINARY_DOCUMENT, priv);
        PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
        hashed.setIssuerFingerprint(false, key.getPublicKey());
        hashed.setSignatureCreationTime(false, when);
        gen.setHashedSubpackets(hashed.generate());
        PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
        unhashed.setIssuerKeyID(false, key.getKeyID());
        gen.setUnhashedSubpackets(unhashed.generate());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            PGPCompressedDataGenerator compressed = new PGPCompressedDataGenerator(CompressionAlgorithmTags.ZIP);
            try (OutputStream c = compressed.open(bytes)) {
                gen.generateOnePassVersion(false).encode(c);
                PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
                try (OutputStream l = literal.open(c, PGPLiteralData.BINARY, "", payload.length, when)) {
                    l.write(payload);
                }
                gen.update(payload);
                gen.generate().encode(c);
            }
        } catch (IOException e) {
            throw new PGPException("writing the signature: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private static byte[] readBounded(InputStream in) throws IOException, InvalidSignature {
        byte[] data = in.readNBytes(MAX_SIGNATURE_BYTES + 1);
        if (data.length > MAX_SIGNATURE_BYTES) {
            throw new InvalidSignature("the signed payload is larger than " + MAX_SIGNATURE_BYTES + " bytes");
        }
        return data;
    }

    private static String keyId(long id) {
        return String.format(Locale.ROOT, "%016X", id);
    }
}
