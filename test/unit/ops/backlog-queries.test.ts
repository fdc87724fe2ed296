import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { messageBacklogQuery, unmatchedReceiptsQuery } from "../../../src/ops/backlog-queries.js";

const dialect = new PgDialect();
const flat = (text: string) => text.replace(/\s+/g, " ");

describe("the backlog count statements", () => {
  it("limit each upstream's unmatched receipts inside the count, on the partial index's predicate", () => {
    const query = dialect.sqlToQuery(unmatchedReceiptsQuery(["ups_a", "ups_b"], 7));
    expect(flat(query.sql)).toContain(
      "FROM (SELECT 1 FROM receipts r WHERE r.message_id IS NULL AND r.upstream_id = u.id LIMIT $1) s",
    );
    expect(query.params).toEqual([7, ["ups_a", "ups_b"]]);
  });

  it("limit the messages read before splitting them by status, in the due index's order", () => {
    const query = dialect.sqlToQuery(messageBacklogQuery(9));
    expect(flat(query.sql)).toContain(
      "FROM (SELECT status FROM messages WHERE next_attempt_at IS NOT NULL ORDER BY next_attempt_at LIMIT $1) s GROUP BY status",
    );
    // A status filter under the LIMIT would read every row that fails it.
    expect(flat(query.sql)).not.toMatch(/WHERE[^)]*status/);
    expect(query.params).toEqual([9]);
  });
});
