package io.jqmp.internal.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM files as QEMU's {@code tls-creds-x509} directory holds them: certificates
 * ({@code CERTIFICATE} blocks, several in one file for a chain) and one private key, as PKCS#8
 * ({@code PRIVATE KEY}, what openssl 3 and recent certtool write), PKCS#1 ({@code RSA PRIVATE KEY})
 * or SEC1 ({@code EC PRIVATE KEY}, with or without a leading {@code EC PARAMETERS} block).
 * Encrypted keys are refused with a message saying how to decrypt them. Text outside the blocks
 * (comments, openssl's "Bag Attributes") is ignored.
 *
 * <p>Stateless; any thread. Every failure is an {@link IOException} naming the file and what is
 * wrong with it.
 */
public final class Pem {
    /** rsaEncryption, 1.2.840.113549.1.1.1 */
    private static final byte[] RSA_OID = {0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1 */
    private static final byte[] EC_OID = {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
    private static final String[] PKCS8_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private Pem() {
    }

    /** One {@code -----BEGIN type-----} block: its type, its headers' presence and its DER bytes. */
    record Block(String type, boolean encryptedHeaders, byte[] der) {
    }

    /** The certificates of {@code file}, in file order (leaf first, for a chain). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        for (Block b : blocks(file)) {
            if (b.type().equals("CERTIFICATE") || b.type().equals("X509 CERTIFICATE")) {
                try {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
                } catch (CertificateException e) {
                    throw new IOException(file + ": a CERTIFICATE block is not a valid X.509 certificate: "
                            + e.getMessage(), e);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no -----BEGIN CERTIFICATE----- block");
        }
        return out;
    }

    /** The one private key in {@code file}. */
    public static PrivateKey privateKey(Path file) throws IOException {
        PrivateKey key = null;
        for (Block b : blocks(file)) {
            if (b.encryptedHeaders()) {
                throw encrypted(file);
            }
            PrivateKey k = switch (b.type()) {
                case "PRIVATE KEY" -> pkcs8(file, b.der());
                case "RSA PRIVATE KEY" -> decode(file, "RSA",
                        pkcs8Wrap(der(0x30, concat(der(0x06, RSA_OID), new byte[] {0x05, 0x00})), b.der()));
                case "EC PRIVATE KEY" -> decode(file, "EC",
                        pkcs8Wrap(der(0x30, concat(der(0x06, EC_OID), curveOf(file, b.der()))), b.der()));
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(file);
                default -> null; // certificates, EC PARAMETERS and the like
            };
            if (k != null) {
                if (key != null) {
                    throw new IOException(file + ": more than one private key");
                }
                key = k;
            }
        }
        if (key == null) {
            throw new IOException(file + ": no private key (expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)");
        }
        return key;
    }

    private static IOException encrypted(Path file) {
        return new IOException(file + ": the private key is encrypted; QMP servers start unattended, so store it "
                + "decrypted and readable only by its owner (e.g. openssl pkey -in KEY -out " + file.getFileName() + ")");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        for (String algorithm : PKCS8_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IOException(file + ": the PRIVATE KEY block is not a PKCS#8 key of a known algorithm (RSA, EC, "
                + "Ed25519, Ed448, RSASSA-PSS, DSA)");
    }

    private static PrivateKey decode(Path file, String algorithm, byte[] pkcs8) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": the " + algorithm + " private key cannot be read: " + e.getMessage(), e);
        }
    }

    /** PKCS#8 PrivateKeyInfo: version 0, the algorithm identifier, the key as an OCTET STRING. */
    private static byte[] pkcs8Wrap(byte[] algorithmIdentifier, byte[] key) {
        return der(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithmIdentifier, der(0x04, key)));
    }

    /**
     * The curve OID (a complete DER OBJECT IDENTIFIER) of a SEC1 ECPrivateKey: SEQUENCE { INTEGER 1,
     * OCTET STRING, [0] parameters, [1] public key }. certtool and openssl always write the
     * parameters.
     */
    private static byte[] curveOf(Path file, byte[] sec1) throws IOException {
        Der outer = new Der(sec1, 0, sec1.length);
        Der seq = outer.next(file, 0x30);
        seq.next(file, 0x02);
        seq.next(file, 0x04);
        while (seq.hasMore()) {
            int tag = seq.peekTag();
            Der field = seq.next(file, tag);
            if (tag == 0xA0) {
                int start = field.pos;
                Der oid = field.next(file, 0x06);
                return java.util.Arrays.copyOfRange(sec1, start, oid.end);
            }
        }
        throw new IOException(file + ": the EC PRIVATE KEY does not name its curve (no parameters field)");
    }

    /** A cursor over DER TLVs in {@code [pos, end)}; {@link #next} returns the content of the next one. */
    private static final class Der {
        final byte[] a;
        int pos;
        final int end;

        Der(byte[] a, int pos, int end) {
            this.a = a;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        int peekTag() {
            return a[pos] & 0xFF;
        }

        Der next(Path file, int tag) throws IOException {
            if (pos + 2 > end || (a[pos] & 0xFF) != tag) {
                throw new IOException(file + ": the key is not valid DER (expected tag 0x" + Integer.toHexString(tag) + ")");
            }
            int p = pos + 1;
            int len = a[p++] & 0xFF;
            if (len >= 0x80) {
                int n = len & 0x7F;
                if (n < 1 || n > 3 || p + n > end) {
                    throw new IOException(file + ": the key is not valid DER (bad length)");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (a[p++] & 0xFF);
                }
            }
            if (p + len > end) {
                throw new IOException(file + ": the key is not valid DER (truncated)");
            }
            pos = p + len;
            return new Der(a, p, p + len);
        }
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The PEM blocks of {@code file}. */
    static List<Block> blocks(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Block> out = new ArrayList<>();
        String type = null;
        boolean headers = false;
        StringBuilder body = new StringBuilder();
        int lineNo = 0;
        for (String raw : lines) {
            lineNo++;
            String line = raw.strip();
            if (type == null) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----")) {
                    type = line.substring(11, line.length() - 5);
                    headers = false;
                    body.setLength(0);
                }
                continue;
            }
            if (line.equals("-----END " + type + "-----")) {
                try {
                    out.add(new Block(type, headers, Base64.getMimeDecoder().decode(body.toString())));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ": the " + type + " block ending on line " + lineNo + " is not valid base64");
                }
                type = null;
            } else if (line.contains(":")) {
                headers |= line.startsWith("Proc-Type:") && line.contains("ENCRYPTED");
            } else {
                body.append(line);
            }
        }
        if (type != null) {
            throw new IOException(file + ": the " + type + " block has no -----END " + type + "----- line");
        }
        return out;
    }
}
