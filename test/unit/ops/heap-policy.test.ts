import { describe, expect, it } from "vitest";
import { heapGrowthFlag, SERVICE_NODE_FLAGS } from "../../../src/ops/heap-policy.js";

describe("heapGrowthFlag", () => {
  it("sets 1.5× heap growth when nothing was given", () => {
    expect(heapGrowthFlag([...SERVICE_NODE_FLAGS], "")).toBe("--heap-growing-percent=50");
  });

  it("leaves a growth factor given on the command line or in NODE_OPTIONS alone", () => {
    expect(heapGrowthFlag(["--heap-growing-percent=80"], "")).toBeUndefined();
    expect(heapGrowthFlag(["--heap_growing_percent=80"], "")).toBeUndefined();
    expect(heapGrowthFlag([], "--enable-source-maps  --heap-growing-percent=20")).toBeUndefined();
  });

  it("is not fooled by other heap flags", () => {
    expect(heapGrowthFlag(["--max-old-space-size=512"], "--max-semi-space-size=64")).toBe(
      "--heap-growing-percent=50",
    );
  });
});
