import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from "node:crypto";

/** Bytes of an AES-256 key (SECRET_KEY decoded). */
export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Version tag of the sealed format, so the cipher or layout can change without guessing. */
const SEALED_VERSION = "v1";

/** A sealed secret could not be opened: wrong key, wrong context, tampered or not a sealed secret. */
export class SecretDecryptError extends Error {
  constructor(message = "secret cannot be decrypted (wrong key or tampered data)") {
    super(message);
    this.name = "SecretDecryptError";
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes`);
}

/**
 * Encrypts a secret (an upstream password, a webhook secret) for storage with AES-256-GCM under `key`.
 * Returns `v1.<base64url(nonce ‖ ciphertext ‖ tag)>` with a fresh random 12-byte nonce each time.
 * `context` is bound as additional authenticated data: a value sealed for one purpose (say
 * "upstream.password") does not open as another, so rows cannot be swapped between columns.
 */
export function encryptSecret(plaintext: string, key: Uint8Array, context = ""): string {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${SEALED_VERSION}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
}

/** Opens what {@link encryptSecret} sealed; throws {@link SecretDecryptError} when it cannot. */
export function decryptSecret(sealed: string, key: Uint8Array, context = ""): string {
  checkKey(key);
  const dot = sealed.indexOf(".");
  if (dot < 0 || sealed.slice(0, dot) !== SEALED_VERSION)
    throw new SecretDecryptError("unknown secret format");
  const raw = Buffer.from(sealed.slice(dot + 1), "base64url");
  if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SecretDecryptError("sealed secret too short");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretDecryptError();
  }
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` uniformly random base62 characters (log2(62) ≈ 5.95 bits each). */
export function randomBase62(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62.charAt(randomInt(62));
  return out;
}

/** Random characters in an API key after its "sk_live_" marker: 43 × 5.95 ≈ 256 bits. */
const API_KEY_RANDOM_CHARS = 43;
/** Characters of the key (after the marker) kept in clear as its lookup prefix: ≈ 71 bits, unique. */
const API_KEY_PREFIX_CHARS = 12;
const API_KEY_MARKER = "sk_live_";

export interface GeneratedApiKey {
  /** The whole key: shown to the customer once, never stored. */
  key: string;
  /** Its first characters ("sk_live_" + 12): stored, listed, and used to find the row. */
  prefix: string;
  /** {@link hashToken} of the key: what is stored to check it. */
  hash: string;
}

/** A new customer API key. */
export function generateApiKey(): GeneratedApiKey {
  const key = API_KEY_MARKER + randomBase62(API_KEY_RANDOM_CHARS);
  return { key, prefix: apiKeyPrefix(key), hash: hashToken(key) };
}

/** The lookup prefix of a presented key (whatever its shape; a wrong one simply finds no row). */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_MARKER.length + API_KEY_PREFIX_CHARS);
}

/**
 * sha256 of a token, hex. Tokens here are ≥ 128 random bits, so a fast unsalted hash is enough: there
 * is nothing to brute-force, and lookups stay cheap.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `token` hashes to `hash`, compared in constant time. */
export function verifyToken(token: string, hash: string): boolean {
  const expected = Buffer.from(hash, "hex");
  const actual = createHash("sha256").update(token, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A new webhook signing secret: "whsec_" + base64 of 32 random bytes (Standard Webhooks format). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** A new admin token for the embedded default (≈ 256 bits). */
export function generateAdminToken(): string {
  return `adm_${randomBase62(API_KEY_RANDOM_CHARS)}`;
}

/** A new SECRET_KEY value: 32 random bytes in base64. */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString("base64");
}
