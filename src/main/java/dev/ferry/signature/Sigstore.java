package dev.ferry.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * Sigstore (cosign) signatures with a key pair, as containers/image's {@code signature/sigstore} makes and checks them:
 * the signature is over the payload blob's bytes (ECDSA P-256 with SHA-256, ASN.1 DER, base64 in the layer annotation
 * {@code dev.cosignproject.cosign/signature}; RSA PKCS#1 v1.5 and Ed25519 keys are checked too). Private keys are
 * cosign's encrypted PEM: a JSON envelope of scrypt key derivation and a NaCl secretbox (XSalsa20-Poly1305) around the
 * PKCS#8 key.
 */
public final class Sigstore {
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String PAYLOAD_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    static final String ENCRYPTED_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY";
    static final String ENCRYPTED_COSIGN_PEM = "ENCRYPTED COSIGN PRIVATE KEY";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Sigstore() {
    }

    /** A PEM {@code PUBLIC KEY} (PKIX): ECDSA, RSA or Ed25519. */
    public static PublicKey publicKey(byte[] pem, String name) {
        byte[] der = pemBody(new String(pem, StandardCharsets.US_ASCII), "PUBLIC KEY", name);
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next
            }
        }
        throw new PolicyParser.PolicyException(name + " is not an ECDSA, RSA or Ed25519 public key");
    }

    /** Whether {@code base64Signature} is {@code key}'s signature over {@code payload}. */
    public static boolean verify(byte[] payload, String base64Signature, PublicKey key) {
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(base64Signature.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm(key));
            s.initVerify(key);
            s.update(payload);
            return s.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** {@code key}'s signature over {@code payload}, base64, as the annotation carries it. */
    public static String sign(byte[] payload, PrivateKey key) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm(key));
        s.initSign(key);
        s.update(payload);
        return Base64.getEncoder().encodeToString(s.sign());
    }

    private static String algorithm(java.security.Key key) {
        return switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
        };
    }

    /** The public key of a private key pair, when the caller has only the private half (ECDSA from its point). */
    public static String publicPem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    /** Decrypts cosign's {@code ENCRYPTED SIGSTORE PRIVATE KEY} (or {@code ENCRYPTED COSIGN PRIVATE KEY}) PEM. */
    public static PrivateKey decryptPrivateKey(byte[] pem, byte[] passphrase, String name) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        byte[] envelope = text.contains(ENCRYPTED_COSIGN_PEM) ? pemBody(text, ENCRYPTED_COSIGN_PEM, name)
                : pemBody(text, ENCRYPTED_PEM, name);
        try {
            JsonNode e = JSON.readTree(envelope);
            if (!"scrypt".equals(e.at("/kdf/name").asText()) || !"nacl/secretbox".equals(e.at("/cipher/name").asText())) {
                throw new PolicyParser.PolicyException(name + ": unsupported key encryption (scrypt and nacl/secretbox are supported)");
            }
            JsonNode p = e.at("/kdf/params");
            byte[] salt = Base64.getDecoder().decode(e.at("/kdf/salt").asText());
            byte[] nonce = Base64.getDecoder().decode(e.at("/cipher/nonce").asText());
            byte[] box = Base64.getDecoder().decode(e.get("ciphertext").asText());
            byte[] key = SCrypt.generate(passphrase, salt, p.get("N").asInt(), p.get("r").asInt(), p.get("p").asInt(), 32);
            byte[] der = secretboxOpen(box, nonce, key);
            if (der == null) {
                throw new PolicyParser.PolicyException(name + ": wrong passphrase (or a damaged key file)");
            }
            PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
            for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (GeneralSecurityException ignored) {
                    // next
                }
            }
            throw new PolicyParser.PolicyException(name + ": the decrypted key is not an ECDSA, RSA or Ed25519 key");
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new PolicyParser.PolicyException(name + " is not a cosign encrypted private key");
        }
    }

    /** Encrypts a private key as cosign does (scrypt N=32768, r=8, p=1; secretbox): the PEM skopeo reads. */
    public static String encryptPrivateKey(PrivateKey key, byte[] passphrase) {
        byte[] salt = new byte[32];
        byte[] nonce = new byte[24];
        RANDOM.nextBytes(salt);
        RANDOM.nextBytes(nonce);
        byte[] k = SCrypt.generate(passphrase, salt, 32768, 8, 1, 32);
        byte[] box = secretbox(key.getEncoded(), nonce, k);
        ObjectNode e = JSON.createObjectNode();
        ObjectNode kdf = e.putObject("kdf");
        kdf.put("name", "scrypt");
        kdf.putObject("params").put("N", 32768).put("r", 8).put("p", 1);
        kdf.put("salt", Base64.getEncoder().encodeToString(salt));
        e.putObject("cipher").put("name", "nacl/secretbox").put("nonce", Base64.getEncoder().encodeToString(nonce));
        e.put("ciphertext", Base64.getEncoder().encodeToString(box));
        return pem(ENCRYPTED_PEM, e.toString().getBytes(StandardCharsets.UTF_8));
    }

    static byte[] secretbox(byte[] message, byte[] nonce, byte[] key) {
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] polyKey = new byte[32];
        x.processBytes(new byte[32], 0, 32, polyKey, 0);
        byte[] out = new byte[16 + message.length];
        x.processBytes(message, 0, message.length, out, 16);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(out, 16, message.length);
        mac.doFinal(out, 0);
        return out;
    }

    /** The message, or null when the box does not authenticate. */
    static byte[] secretboxOpen(byte[] box, byte[] nonce, byte[] key) {
        if (box.length < 16 || nonce.length != 24 || key.length != 32) {
            return null;
        }
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] polyKey = new byte[32];
        x.processBytes(new byte[32], 0, 32, polyKey, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(box, 16, box.length - 16);
        byte[] tag = new byte[16];
        mac.doFinal(tag, 0);
        if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(box, 0, 16))) {
            return null;
        }
        byte[] message = new byte[box.length - 16];
        x.processBytes(box, 16, message.length, message, 0);
        return message;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static byte[] pemBody(String text, String type, String name) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new PolicyParser.PolicyException(name + " is not a PEM " + type);
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new PolicyParser.PolicyException(name + " is not a PEM " + type);
        }
    }
}
