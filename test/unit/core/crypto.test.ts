import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  apiKeyPrefix,
  decryptSecret,
  encryptSecret,
  generateAdminToken,
  generateApiKey,
  generateSecretKey,
  generateWebhookSecret,
  hashToken,
  SecretDecryptError,
  verifyToken,
} from "../../../src/core/crypto.js";

const key = randomBytes(32);

describe("encryptSecret / decryptSecret", () => {
  it("round-trips, including non-ASCII and empty secrets", () => {
    for (const secret of ["hunter2", "pässwörd ✓ 🔑", ""]) {
      expect(decryptSecret(encryptSecret(secret, key), key)).toBe(secret);
    }
  });

  it("is versioned and uses a fresh nonce each time", () => {
    const a = encryptSecret("same", key);
    const b = encryptSecret("same", key);
    expect(a.startsWith("v1.")).toBe(true);
    expect(a).not.toBe(b);
  });

  it("does not contain the plaintext in any common encoding", () => {
    const secret = "super-secret-password-123";
    const sealed = encryptSecret(secret, key);
    const raw = Buffer.from(sealed.slice(3), "base64url");
    expect(sealed).not.toContain(secret);
    expect(raw.includes(Buffer.from(secret))).toBe(false);
    expect(sealed).not.toContain(Buffer.from(secret).toString("base64").slice(0, 16));
  });

  it("rejects a tampered value, a wrong key, a wrong context and garbage", () => {
    const sealed = encryptSecret("hunter2", key, "upstream.password");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    for (const offset of [0, 12, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      expect(() => decryptSecret(`v1.${tampered.toString("base64url")}`, key, "upstream.password")).toThrow(
        SecretDecryptError,
      );
    }
    expect(() => decryptSecret(sealed, randomBytes(32), "upstream.password")).toThrow(SecretDecryptError);
    expect(() => decryptSecret(sealed, key, "webhook.secret")).toThrow(SecretDecryptError);
    expect(() => decryptSecret("v2.abcd", key)).toThrow(SecretDecryptError);
    expect(() => decryptSecret("v1.abcd", key)).toThrow(SecretDecryptError);
    expect(decryptSecret(sealed, key, "upstream.password")).toBe("hunter2");
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => encryptSecret("x", randomBytes(16))).toThrow(RangeError);
  });
});

describe("API keys and tokens", () => {
  it("generates keys with ≥ 128 random bits, a lookup prefix and a matching hash", () => {
    const { key: apiKey, prefix, hash } = generateApiKey();
    expect(apiKey).toMatch(/^sk_live_[0-9A-Za-z]{43}$/);
    expect(prefix).toBe(apiKey.slice(0, 20));
    expect(apiKeyPrefix(apiKey)).toBe(prefix);
    expect(hash).toBe(hashToken(apiKey));
    expect(hash).not.toContain(apiKey.slice(8));
    const many = new Set(Array.from({ length: 2000 }, () => generateApiKey().prefix));
    expect(many.size).toBe(2000);
  });

  it("verifies a token against its hash and nothing else", () => {
    const { key: apiKey, hash } = generateApiKey();
    expect(verifyToken(apiKey, hash)).toBe(true);
    expect(verifyToken(`${apiKey}x`, hash)).toBe(false);
    expect(verifyToken(generateApiKey().key, hash)).toBe(false);
    expect(verifyToken(apiKey, "not-hex")).toBe(false);
    expect(verifyToken(apiKey, "")).toBe(false);
  });

  it("makes webhook secrets in the Standard Webhooks shape", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it("makes admin tokens and secret keys", () => {
    expect(generateAdminToken()).toMatch(/^adm_[0-9A-Za-z]{43}$/);
    expect(Buffer.from(generateSecretKey(), "base64")).toHaveLength(32);
  });
});
