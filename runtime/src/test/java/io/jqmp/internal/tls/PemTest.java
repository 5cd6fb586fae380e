package io.jqmp.internal.tls;

import static io.jqmp.internal.tls.TestCertificates.openssl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private keys in the forms openssl (and certtool) write, read with the JDK alone; certificates and chains. */
class PemTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void makeKeys() throws Exception {
        TestCertificates.create(dir.resolve("certs")); // skips the class without openssl
        openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa-pkcs8.pem");
        openssl(dir, "rsa", "-in", "rsa-pkcs8.pem", "-traditional", "-out", "rsa-pkcs1.pem");
        openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec-sec1.pem"); // EC PARAMETERS first
        openssl(dir, "pkey", "-in", "ec-sec1.pem", "-out", "ec-pkcs8.pem");
        openssl(dir, "genpkey", "-algorithm", "ED25519", "-out", "ed25519.pem");
        openssl(dir, "pkey", "-in", "ec-pkcs8.pem", "-aes256", "-passout", "pass:secret", "-out", "encrypted-pkcs8.pem");
        openssl(dir, "rsa", "-in", "rsa-pkcs8.pem", "-traditional", "-aes256", "-passout", "pass:secret", "-out",
                "encrypted-pkcs1.pem");
    }

    @Test
    void rsaAsPkcs1AndPkcs8IsTheSameKey() throws Exception {
        String pkcs1 = Files.readString(dir.resolve("rsa-pkcs1.pem"));
        assertTrue(pkcs1.startsWith("-----BEGIN RSA PRIVATE KEY-----"), pkcs1.substring(0, 40));
        PrivateKey a = Pem.privateKey(dir.resolve("rsa-pkcs8.pem"));
        PrivateKey b = Pem.privateKey(dir.resolve("rsa-pkcs1.pem"));
        assertEquals(((RSAPrivateCrtKey) a).getModulus(), ((RSAPrivateCrtKey) b).getModulus());
        assertArrayEquals(a.getEncoded(), b.getEncoded());
    }

    @Test
    void ecAsSec1WithParametersAndPkcs8IsTheSameKey() throws Exception {
        String sec1 = Files.readString(dir.resolve("ec-sec1.pem"));
        assertTrue(sec1.startsWith("-----BEGIN EC PARAMETERS-----") && sec1.contains("-----BEGIN EC PRIVATE KEY-----"));
        ECPrivateKey a = (ECPrivateKey) Pem.privateKey(dir.resolve("ec-sec1.pem"));
        ECPrivateKey b = (ECPrivateKey) Pem.privateKey(dir.resolve("ec-pkcs8.pem"));
        assertEquals(a.getS(), b.getS());
        assertEquals(a.getParams().getCurve(), b.getParams().getCurve());
    }

    @Test
    void aKeyIsUsableWithItsCertificate() throws Exception {
        Path certs = dir.resolve("certs").resolve("server");
        PrivateKey key = Pem.privateKey(certs.resolve("server-key.pem"));
        X509Certificate cert = Pem.certificates(certs.resolve("server-cert.pem")).get(0);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig));
    }

    @Test
    void ed25519Pkcs8() throws Exception {
        assertEquals("EdDSA", Pem.privateKey(dir.resolve("ed25519.pem")).getAlgorithm());
    }

    @Test
    void encryptedKeysAreRefusedWithAHint() {
        for (String f : List.of("encrypted-pkcs8.pem", "encrypted-pkcs1.pem")) {
            IOException e = assertThrows(IOException.class, () -> Pem.privateKey(dir.resolve(f)));
            assertTrue(e.getMessage().contains("is encrypted") && e.getMessage().contains("openssl pkey"), e.getMessage());
        }
    }

    @Test
    void aChainInOneFileAndTextAroundTheBlocks() throws Exception {
        Path certs = dir.resolve("certs");
        String chain = "Bag Attributes\n    friendlyName: server\n" + Files.readString(certs.resolve("server/server-cert.pem"))
                + "subject=CN = jqmp test CA\n" + Files.readString(certs.resolve("server/ca-cert.pem"));
        Path file = Files.writeString(dir.resolve("chain.pem"), chain);
        List<X509Certificate> c = Pem.certificates(file);
        assertEquals(2, c.size());
        assertEquals("CN=localhost", c.get(0).getSubjectX500Principal().getName());
        assertEquals("CN=jqmp test CA", c.get(1).getSubjectX500Principal().getName());
    }

    @Test
    void brokenFilesSayWhatIsWrong() throws Exception {
        Path noKey = Files.writeString(dir.resolve("nokey.pem"), "nothing here\n");
        assertTrue(assertThrows(IOException.class, () -> Pem.privateKey(noKey)).getMessage().contains("no private key"));
        assertTrue(assertThrows(IOException.class, () -> Pem.certificates(noKey)).getMessage()
                .contains("no -----BEGIN CERTIFICATE----- block"));
        Path truncated = Files.writeString(dir.resolve("truncated.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n");
        assertTrue(assertThrows(IOException.class, () -> Pem.privateKey(truncated)).getMessage()
                .contains("no -----END PRIVATE KEY----- line"));
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"
                + "-----END EC PRIVATE KEY-----\n");
        assertTrue(assertThrows(IOException.class, () -> Pem.privateKey(garbage)).getMessage().contains("not valid DER"));
        Path missing = dir.resolve("missing.pem");
        assumeTrue(!Files.exists(missing));
        assertTrue(assertThrows(IOException.class, () -> Pem.privateKey(missing)).getMessage().startsWith("cannot read"));
    }
}
