/**
 * The command_status table against §2 of test/fixtures/smpp/NOTES.md (a copy of ../shared/smpp/NOTES.md,
 * written from the v3.4 spec, outside our code): every code with its name and retry class, the reserved and vendor ranges, and the
 * typed error value.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import {
  CommandStatus,
  isTransient,
  type RetryClass,
  SmppStatusError,
  statusInfo,
} from "../../../src/smpp/status.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const notes = readFileSync(path.resolve(repoRoot, "test/fixtures/smpp/NOTES.md"), "utf8");

const CLASS: Record<string, RetryClass> = { T: "transient", S: "session", P: "permanent", "?": "unknown" };

/** Rows of NOTES §2 like `| 0x48 / 0x49 | ESME_RINVSRCTON / RINVSRCNPI | … | P |`, one entry per code. */
function notesRows(): Array<{ code: number; name: string; retry: RetryClass | "ok" }> {
  const section = notes.slice(notes.indexOf("## 2 command_status"), notes.indexOf("## 3 "));
  const rows: Array<{ code: number; name: string; retry: RetryClass | "ok" }> = [];
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim().replaceAll("*", ""));
    const [hexes, names, , klass] = cells.slice(1);
    if (hexes === undefined || names === undefined || klass === undefined || !/^0x[0-9A-F]{2}\b/.test(hexes))
      continue;
    if (hexes.includes("–")) continue; // ranges, checked below
    const codes = hexes.split("/").map((h) => Number.parseInt(h.trim(), 16));
    const nameList = names.split("/").map((n) => n.trim());
    const first = nameList[0] ?? "";
    const prefix = first.slice(0, first.indexOf("_R") + 1); // "ESME_" for "RINVSRCNPI"
    const letter = klass.split(/[\s(:]/)[0] ?? "";
    codes.forEach((code, i) => {
      const name = nameList[i] ?? "";
      rows.push({
        code,
        name: name.startsWith("ESME_") ? name : `${prefix}${name}`,
        retry: letter === "—" ? "ok" : (CLASS[letter] ?? ("?" as RetryClass)),
      });
    });
  }
  return rows;
}

const rows = notesRows();

test("NOTES lists the whole v3.4 table and so do we", () => {
  expect(rows.length).toBe(48);
  expect(Object.keys(CommandStatus).length).toBe(rows.length);
});

describe.each(rows)("0x$code $name", ({ code, name, retry }) => {
  test("same code, name and retry class", () => {
    expect((CommandStatus as Record<string, number>)[name]).toBe(code);
    const info = statusInfo(code);
    expect(info.name).toBe(name);
    expect(info.description.length).toBeGreaterThan(5);
    // An accepted request is final, so ESME_ROK counts as "permanent".
    expect(info.retry).toBe(retry === "ok" ? "permanent" : retry);
  });
});

test("transient is exactly Kannel's temporary set {0x08, 0x14, 0x58, 0x64}", () => {
  const transient = rows.filter((r) => isTransient(r.code)).map((r) => r.code);
  expect(transient).toEqual([0x08, 0x14, 0x58, 0x64]);
});

test("reserved v3.4 values, the extension range and the vendor range are 'unknown' (bounded retries)", () => {
  for (const code of [
    0x09, 0x10, 0x12, 0x16, 0x32, 0x35, 0x3f, 0x41, 0x46, 0x52, 0x56, 0x59, 0x68, 0xbf, 0xc5, 0xfd,
  ]) {
    expect(statusInfo(code), `0x${code.toString(16)}`).toMatchObject({ retry: "unknown" });
    expect(statusInfo(code).name).toMatch(/^RESERVED_0x/);
  }
  expect(statusInfo(0x100)).toMatchObject({ name: "RESERVED_0x00000100", retry: "unknown" });
  expect(statusInfo(0x3ff).description).toMatch(/extension/);
  expect(statusInfo(0x400)).toMatchObject({ name: "VENDOR_0x00000400", retry: "unknown" });
  expect(statusInfo(0x4ff).name).toBe("VENDOR_0x000004FF");
  expect(statusInfo(0x500).name).toBe("RESERVED_0x00000500");
});

test("SmppStatusError is the typed value of a status", () => {
  const throttled = new SmppStatusError(CommandStatus.ESME_RTHROTTLED);
  expect(throttled).toBeInstanceOf(Error);
  expect(throttled).toMatchObject({
    name: "SmppStatusError",
    status: 0x58,
    statusName: "ESME_RTHROTTLED",
    retry: "transient",
    retryable: true,
  });
  expect(throttled.message).toContain("0x00000058");
  expect(new SmppStatusError(CommandStatus.ESME_RBINDFAIL)).toMatchObject({
    retry: "session",
    retryable: true,
  });
  expect(new SmppStatusError(CommandStatus.ESME_RINVDSTADR, "no such number")).toMatchObject({
    message: "no such number",
    retry: "permanent",
    retryable: false,
  });
  expect(new SmppStatusError(0x45)).toMatchObject({ retry: "unknown", retryable: false });
});
