import { describe, expect, test } from "vitest";
import { CliUsageError, parseSimulatorArgs } from "../../../src/simulator/cli-args.js";

describe("parseSimulatorArgs", () => {
  test("--help", () => {
    expect(parseSimulatorArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseSimulatorArgs(["--port", "1", "-h"])).toEqual({ kind: "help" });
  });

  test("the contract flags", () => {
    const cmd = parseSimulatorArgs([
      "--port",
      "2776",
      "--host",
      "127.0.0.1",
      "--system-id",
      "acme",
      "--password",
      "secret",
      "--dlr-delay-ms",
      "250",
      "--message-id-format",
      "decimal",
    ]);
    expect(cmd.kind).toBe("run");
    if (cmd.kind !== "run") return;
    expect(cmd.options.port).toBe(2776);
    expect(cmd.options.host).toBe("127.0.0.1");
    expect(cmd.options.accounts).toEqual([{ systemId: "acme", password: "secret" }]);
    expect(cmd.options.dlrDelayMs).toBe(250);
    expect(cmd.options.messageIdFormat).toBe("decimal");
    expect(cmd.options.control).toBeUndefined();
  });

  test("no credentials accepts any bind; --port defaults to 2775", () => {
    const cmd = parseSimulatorArgs([]);
    if (cmd.kind !== "run") throw new Error("expected run");
    expect(cmd.options.accounts).toEqual([]);
    expect(cmd.options.port).toBe(2775);
  });

  test("extras: outcomes, faults, MO, control port, TLS files", () => {
    const cmd = parseSimulatorArgs([
      "--port=0",
      "--outcomes",
      "DELIVRD=9,UNDELIV=1",
      "--throttle-rate",
      "500",
      "--throttle-fraction",
      "0.1",
      "--mo",
      "447700900001:1234:hello: world",
      "--mo",
      "1:2:x",
      "--control-port",
      "0",
      "--tls-key",
      "k.pem",
      "--tls-cert",
      "c.pem",
      "--receipt-id-format",
      "other",
    ]);
    if (cmd.kind !== "run") throw new Error("expected run");
    expect(cmd.options.outcomes).toEqual({ DELIVRD: 9, UNDELIV: 1 });
    expect(cmd.options.faults).toMatchObject({ throttleRate: 500, throttleFraction: 0.1 });
    expect(cmd.mo).toEqual([
      { from: "447700900001", to: "1234", text: "hello: world" },
      { from: "1", to: "2", text: "x" },
    ]);
    expect(cmd.options.control).toEqual({ port: 0, host: "127.0.0.1" });
    expect(cmd.tlsFiles).toEqual({ key: "k.pem", cert: "c.pem" });
    expect(cmd.options.receiptIdFormat).toBe("other");
  });

  test("every fault mode has a flag; statuses in decimal or hex", () => {
    const cmd = parseSimulatorArgs([
      "--no-response-fraction",
      "0.01",
      "--submit-error-fraction",
      "0.2",
      "--submit-error-status",
      "0x58",
      "--drop-after-pdus",
      "1000",
      "--refuse-binds",
      "13",
      "--garbage-fraction",
      "0.001",
    ]);
    if (cmd.kind !== "run") throw new Error("expected run");
    expect(cmd.options.faults).toEqual({
      throttleRate: 0,
      throttleFraction: 0,
      responseDelayMs: 0,
      noResponseFraction: 0.01,
      submitErrorFraction: 0.2,
      submitErrorStatus: 0x58,
      dropAfterPdus: 1000,
      refuseBindsStatus: 0x0d,
      garbageFraction: 0.001,
    });
  });

  test.each([
    [["--bogus"], /bogus/],
    [["--port", "70000"], /--port/],
    [["--port", "abc"], /--port/],
    [["--message-id-format", "octal"], /--message-id-format/],
    [["--system-id", "a"], /go together/],
    [["--tls-key", "k.pem"], /go together/],
    [["--outcomes", "LOST=1"], /--outcomes/],
    [["--outcomes", "DELIVRD=0"], /--outcomes/],
    [["--mo", "nocolons"], /--mo/],
    [["stray"], /stray|positional/i],
    [["--throttle-fraction", "2"], /--throttle-fraction/],
    [["--refuse-binds", "0xZZ"], /--refuse-binds/],
    [["--submit-error-status", "-1"], /--submit-error-status/],
    [["--garbage-fraction", "1.5"], /--garbage-fraction/],
    [["--drop-after-pdus", "1.5"], /--drop-after-pdus/],
  ])("%j is a usage error", (argv, message) => {
    expect(() => parseSimulatorArgs(argv)).toThrow(CliUsageError);
    expect(() => parseSimulatorArgs(argv)).toThrow(message);
  });
});
