import { describe, expect, it } from "vitest";
import { SERVE_HELP } from "../../../src/cli/serve.js";
import { CONFIG_VARIABLES } from "../../../src/config.js";

describe("smpp-bridge serve --help", () => {
  it("documents every environment variable the configuration reads", () => {
    const undocumented = CONFIG_VARIABLES.filter(
      (name) => !new RegExp(`^  ${name}\\b`, "m").test(SERVE_HELP),
    );
    expect(undocumented).toEqual([]);
  });
});
