/**
 * The HMAC keys a delivery is signed with, opened from the sealed secrets its row carries and kept
 * (opening one costs a decryption; one endpoint's deliveries come by the hundred).
 */
import type { Logger } from "pino";
import type { DeliveryToSend } from "../../events/outbox.js";
import { openWebhookSecret, signingKey } from "../signing.js";

const SECRET_CACHE_LIMIT = 1000;

export class SigningKeys {
  private readonly keys = new Map<string, Buffer>();
  private readonly unsignedWarned = new Set<string>();

  constructor(
    /** SECRET_KEY: opens the sealed endpoint secrets. */
    private readonly secretKey: Uint8Array,
    private readonly logger: Logger | undefined,
  ) {}

  /**
   * The keys of `row`: its secret's, then the previous secret's while that still signs; none for a
   * status_callback delivery of an account without endpoints. Throws when a secret cannot be opened.
   */
  of(row: DeliveryToSend): Buffer[] {
    if (row.secret_enc === null) {
      if (!this.unsignedWarned.has(row.account_id)) {
        this.unsignedWarned.add(row.account_id);
        this.logger?.warn(
          { account_id: row.account_id, delivery_id: row.id },
          "status_callback_url webhook sent unsigned: the account has no webhook endpoint whose secret could sign it",
        );
      }
      return [];
    }
    const keys = [this.key(row.secret_enc)];
    if (row.previous_secret_enc !== null) keys.push(this.key(row.previous_secret_enc));
    return keys;
  }

  private key(sealed: string): Buffer {
    let key = this.keys.get(sealed);
    if (key === undefined) {
      if (this.keys.size >= SECRET_CACHE_LIMIT) this.keys.clear();
      key = signingKey(openWebhookSecret(sealed, this.secretKey));
      this.keys.set(sealed, key);
    }
    return key;
  }
}
