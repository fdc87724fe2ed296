import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../../src/db/client.js";
import { DataDirInUseError, LOCK_FILE, lockDataDir } from "../../../src/db/data-dir-lock.js";

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "smpp-bridge-lock-"));
  dirs.push(dir);
  return dir;
}

/** A live process that is not this one (it sleeps until killed, at most 60 s). */
function otherProcess(): number {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  children.push(child);
  if (child.pid === undefined) throw new Error("no child pid");
  return child.pid;
}

describe("lockDataDir", () => {
  it("writes this process's pid and removes the file on release", () => {
    const dir = dataDir();
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("refuses a directory another live process holds, naming it", () => {
    const dir = dataDir();
    const pid = otherProcess();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`process ${pid}`);
  });

  it("takes over a lock whose process is gone (killed with -9)", async () => {
    const dir = dataDir();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    const pid = child.pid;
    await new Promise((resolve) => child.once("exit", resolve));
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    release();
  });

  it("keeps a second process off an embedded database that is open", { timeout: 120_000 }, async () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), `${otherProcess()}\n`);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirInUseError);
    expect(existsSync(join(dir, "pglite", "PG_VERSION"))).toBe(false);
  });
});
