/**
 * Every byte vector from test/fixtures/smpp/vectors.json (a copy of ../shared/smpp/vectors.json, so a clone
 * runs alone; from outside our own encoder): decode gives the listed fields and TLVs, and re-encoding gives
 * the same bytes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { decodePdu, encodePdu } from "../../../src/smpp/codec.js";
import { CommandId, type CommandName } from "../../../src/smpp/commands.js";
import { PDU_BODIES, type Pdu } from "../../../src/smpp/pdu.js";
import type { Tlvs } from "../../../src/smpp/tlv.js";

interface Vector {
  name: string;
  hex: string;
  fields: Record<string, unknown>;
  tlvs?: Record<string, unknown>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const vectors = JSON.parse(
  readFileSync(path.resolve(repoRoot, "test/fixtures/smpp/vectors.json"), "utf8"),
) as Vector[];

const HEADER_KEYS = new Set(["command_length", "command_id", "command", "command_status", "sequence_number"]);

function field(pdu: Pdu, name: string): unknown {
  return (pdu as unknown as Record<string, unknown>)[name];
}

function tlv(pdu: Pdu, name: string): unknown {
  return pdu.tlvs?.[name as keyof Tlvs];
}

test("the vector file is there and not empty", () => {
  expect(vectors.length).toBeGreaterThanOrEqual(15);
  expect(vectors.slice(0, 2).map((v) => v.fields.command)).toEqual([
    "bind_transceiver",
    "bind_transceiver_resp",
  ]);
});

describe.each(vectors)("$name", (v) => {
  const bytes = Buffer.from(v.hex, "hex");
  const pdu = decodePdu(bytes);
  const command = v.fields.command as CommandName;
  const bodyFields = new Set<string>(PDU_BODIES[command].map((f) => f.name));

  test("header", () => {
    expect(pdu.command).toBe(command);
    expect(CommandId[pdu.command]).toBe(v.fields.command_id);
    expect(bytes.length).toBe(v.fields.command_length);
    expect(pdu.command_status).toBe(v.fields.command_status);
    expect(pdu.sequence_number).toBe(v.fields.sequence_number);
  });

  test("listed fields", () => {
    for (const [name, expected] of Object.entries(v.fields)) {
      if (HEADER_KEYS.has(name)) continue;
      if (name === "short_message_hex") {
        expect(field(pdu, "short_message")).toEqual(Buffer.from(expected as string, "hex"));
      } else if (name === "sm_length") {
        expect((field(pdu, "short_message") as Buffer).length).toBe(expected);
      } else if (bodyFields.has(name)) {
        expect(field(pdu, name), name).toEqual(expected);
      } else {
        // The vectors list TLV values beside the mandatory fields too.
        expect(tlv(pdu, name), name).toEqual(expected);
      }
    }
    // Every mandatory field is listed, except in a header-only error response (whose fields are empty).
    if (bytes.length === 16) {
      for (const name of bodyFields) expect(field(pdu, name), name).toEqual("");
      return;
    }
    for (const name of bodyFields) {
      const listed = name === "short_message" ? "short_message_hex" : name;
      expect(Object.hasOwn(v.fields, listed), `${name} listed`).toBe(true);
    }
  });

  test("listed TLVs", () => {
    const listed = Object.entries(v.tlvs ?? {});
    for (const [label, expected] of listed) {
      const match = /^(\w+) \(0x([0-9A-Fa-f]{4})\)( as text)?$/.exec(label);
      expect(match, label).not.toBeNull();
      const [, name = "", , asText] = match ?? [];
      const value = tlv(pdu, name);
      if (asText) expect(Buffer.isBuffer(value) ? value.toString("latin1") : value).toBe(expected);
      else expect(value).toEqual(expected);
    }
    expect(Object.keys(pdu.tlvs ?? {}).sort()).toEqual(listed.map(([label]) => label.split(" ")[0]).sort());
  });

  test("re-encodes byte for byte", () => {
    expect(encodePdu(pdu).toString("hex")).toBe(bytes.toString("hex"));
  });
});
