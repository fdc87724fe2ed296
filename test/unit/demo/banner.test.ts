import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { demoCurl, formatBanner, shellQuote } from "../../../src/demo/banner.js";
import { displayUrl } from "../../../src/demo/index.js";

const input = {
  apiUrl: "http://127.0.0.1:8080",
  apiKey: "sk_live_abc123",
  adminToken: "adm_xyz789",
  dataDir: "/srv/data",
  smsc: { host: "127.0.0.1", port: 2775 },
  webhookUrl: "http://127.0.0.1:9000/webhooks",
  firstRun: true,
};

describe("demo banner", () => {
  it("has the contract lines: API key, Admin token and exactly one curl line", () => {
    const lines = formatBanner(input).split("\n");
    expect(lines).toContain("API key: sk_live_abc123");
    expect(lines).toContain("Admin token: adm_xyz789");
    const curls = lines.filter((l) => l.startsWith("curl "));
    expect(curls).toEqual([demoCurl(input.apiUrl, input.apiKey)]);
    expect(lines.some((l) => l.includes("http://127.0.0.1:8080/docs"))).toBe(true);
  });

  it("says when the receiver is missing and when data was reused", () => {
    const text = formatBanner({ ...input, webhookUrl: undefined, firstRun: false });
    expect(text).toContain("not available");
    expect(text).toContain("data reused");
  });

  it("quotes for a POSIX shell so the curl arguments survive as they are", () => {
    const tricky = `it's "quoted" $HOME \`x\``;
    const echoed = execFileSync("sh", ["-c", `printf %s ${shellQuote(tricky)}`], { encoding: "utf8" });
    expect(echoed).toBe(tricky);
    const words = execFileSync(
      "sh",
      ["-c", `for w in ${demoCurl("http://h:1", "k'ey").slice(5)}; do printf '%s\\n' "$w"; done`],
      {
        encoding: "utf8",
      },
    );
    expect(words.split("\n")).toContain("Authorization: Bearer k'ey");
  });

  it("shows a wildcard bind address as loopback", () => {
    expect(displayUrl("http://0.0.0.0:8080")).toBe("http://127.0.0.1:8080");
    expect(displayUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
  });
});
