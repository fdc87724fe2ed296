/**
 * The simulator's outside controls: the HTTP control server (real HTTP on 127.0.0.1, port 0) and the
 * `smpp-bridge simulator` command line run as a child process with the DESIGN.md §4 flags.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { Simulator } from "../../../src/simulator/simulator.js";
import type { PduOf } from "../../../src/smpp/pdu.js";
import { parseReceipt } from "../../../src/smpp/receipt.js";
import { CommandStatus } from "../../../src/smpp/status.js";
import { eventually, TestEsme } from "./esme.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function http(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? undefined : JSON.parse(text) };
}

async function bound(
  port: number,
  command: "bind_receiver" | "bind_transceiver",
  systemId = "acme",
  password = "pw",
) {
  const { esme, resp } = await TestEsme.bound(port, command, systemId, password);
  cleanups.push(() => esme.close());
  expect(resp.command_status).toBe(0);
  return esme;
}

describe("HTTP control", () => {
  test("POST /mo delivers to a receiver, GET /stats and /sessions report it, bad bodies are 400/422", async () => {
    const sim = await Simulator.start({
      accounts: [{ systemId: "acme", password: "pw" }],
      control: { port: 0 },
    });
    cleanups.push(() => sim.close());
    const port = sim.controlPort ?? 0;
    const rx = await bound(sim.port, "bind_receiver");

    const mo = await http(port, "POST", "/mo", { from: "447700900001", to: "12345", text: "via http" });
    expect(mo).toEqual({ status: 202, json: { parts: 1, systemId: "acme" } });
    await eventually(() => rx.delivered.length === 1);
    const pdu = rx.delivered[0] as PduOf<"deliver_sm">;
    expect(pdu.short_message.toString("latin1")).toBe("via http");

    await eventually(() => sim.stats().moAcked === 1);
    expect((await http(port, "GET", "/stats")).json).toMatchObject({ bound: 1, receivers: 1, moAcked: 1 });
    const sessions = (await http(port, "GET", "/sessions")).json as { sessions: unknown[] };
    expect(sessions.sessions).toEqual([expect.objectContaining({ systemId: "acme", mode: "receiver" })]);

    expect((await http(port, "POST", "/mo", { from: "1", text: "no to" })).status).toBe(400);
    const unencodable = await http(port, "POST", "/mo", {
      from: "1",
      to: "2",
      text: "€",
      encoding: "latin1",
    });
    expect(unencodable.status).toBe(422);
    expect((await http(port, "GET", "/nowhere")).status).toBe(404);
  });

  test("PUT /faults switches faults live and rejects unknown or out-of-range switches", async () => {
    const sim = await Simulator.start({ control: { port: 0 } });
    cleanups.push(() => sim.close());
    const port = sim.controlPort ?? 0;
    const esme = await bound(sim.port, "bind_transceiver");

    const put = await http(port, "PUT", "/faults", { throttleFraction: 1 });
    expect(put).toMatchObject({ status: 200, json: { throttleFraction: 1, responseDelayMs: 0 } });
    expect((await esme.submit()).command_status).toBe(CommandStatus.ESME_RTHROTTLED);
    expect((await http(port, "GET", "/faults")).json).toMatchObject({ throttleFraction: 1 });

    expect((await http(port, "PUT", "/faults", { throttleFraction: 2 })).status).toBe(400);
    expect((await http(port, "PUT", "/faults", { explode: true })).status).toBe(400);
    await http(port, "PUT", "/faults", { throttleFraction: 0 });
    expect((await esme.submit()).command_status).toBe(0);

    expect((await http(port, "POST", "/disconnect")).status).toBe(204);
    await esme.until(() => esme.closed);
  });
});

describe("smpp-bridge simulator (command line)", () => {
  async function run(args: string[]): Promise<{ child: ChildProcess; port: number }> {
    const cli = fileURLToPath(new URL("../../../src/cli.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", cli, "simulator", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    let port = 0;
    for await (const line of lines) {
      const m = /listening on smpp:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) {
        port = Number(m[1]);
        break;
      }
    }
    clearTimeout(timer);
    lines.on("line", () => undefined);
    if (port === 0) throw new Error("the simulator did not start");
    return { child, port };
  }

  test("--port 0 --system-id --password --dlr-delay-ms --message-id-format: binds, ids, receipts; SIGTERM stops it", async () => {
    const { child, port } = await run([
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--system-id",
      "cliesme",
      "--password",
      "s3cret",
      "--dlr-delay-ms",
      "10",
      "--message-id-format",
      "decimal",
    ]);
    const refused = await TestEsme.bound(port, "bind_transceiver", "cliesme", "wrong");
    cleanups.push(() => refused.esme.close());
    expect(refused.resp.command_status).toBe(CommandStatus.ESME_RINVPASWD);

    const esme = await bound(port, "bind_transceiver", "cliesme", "s3cret");
    const resp = await esme.submit({ registered_delivery: 1 });
    expect(resp).toMatchObject({ command: "submit_sm_resp", command_status: 0 });
    const id = resp.command === "submit_sm_resp" ? resp.message_id : "";
    expect(id).toMatch(/^\d+$/);
    await esme.until(() => esme.delivered.length === 1);
    expect(parseReceipt(esme.delivered[0] as PduOf<"deliver_sm">)).toMatchObject({
      messageId: id,
      stat: "DELIVRD",
    });

    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
