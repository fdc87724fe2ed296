import { describe, expect, it } from "vitest";
import { z } from "zod";
import { bearerToken } from "../../../src/api/auth.js";
import { ApiError } from "../../../src/api/errors.js";
import { isHost, receivingNumberField } from "../../../src/api/fields.js";
import { decodeCursor, encodeCursor } from "../../../src/api/pagination.js";
import { fieldErrors } from "../../../src/api/problem.js";

describe("fieldErrors", () => {
  it("joins paths with dots, array indexes included", () => {
    const schema = z.object({ messages: z.array(z.object({ to: z.string() })) });
    const result = schema.safeParse({ messages: [{ to: "1" }, { to: 2 }] });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(fieldErrors(result.error)).toEqual([{ path: "messages.1.to", message: expect.any(String) }]);
  });

  it("reports every unknown key of a strict object on its own path", () => {
    const result = z
      .strictObject({ a: z.object({ b: z.number() }).strict() })
      .safeParse({ a: { b: 1, c: 2 }, d: 3 });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(
      fieldErrors(result.error)
        .map((e) => e.path)
        .sort(),
    ).toEqual(["a.c", "d"]);
  });
});

describe("cursors", () => {
  it("round-trip an id and stay opaque", () => {
    const id = "ups_01jd8x3r4t5v6w7x8y9z0a1b2c";
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain("ups_");
    expect(decodeCursor(cursor ?? undefined)).toBe(id);
    expect(encodeCursor(null)).toBeNull();
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it("reject what we did not issue with a 422 on `cursor`", () => {
    for (const bad of ["nope", encodeCursor("x'; drop table--") ?? ""]) {
      try {
        decodeCursor(bad);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toBe("VALIDATION_FAILED");
        expect((error as ApiError).errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
      }
    }
  });
});

describe("bearerToken", () => {
  it("takes the token of the Bearer scheme only", () => {
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("bearer   abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe("fields", () => {
  it("read a receiving number: E.164 with + for numbers, digits for short codes", () => {
    const field = receivingNumberField();
    expect(field.parse("447700900123")).toBe("+447700900123");
    expect(field.parse("+44 7700-900.123")).toBe("+447700900123");
    expect(field.parse("88222")).toBe("88222");
    for (const bad of ["12", "+1234567890123456", "44770090012a", "07700900123"])
      expect(field.safeParse(bad).success).toBe(false);
  });

  it("accept host names and IP literals only", () => {
    for (const ok of ["smsc.example.net", "localhost", "127.0.0.1", "::1", "a-b.c"])
      expect(isHost(ok)).toBe(true);
    for (const bad of ["", "-a.com", "a..b", "exa mple.com", "http://x", "a_b.com"])
      expect(isHost(bad)).toBe(false);
  });
});
