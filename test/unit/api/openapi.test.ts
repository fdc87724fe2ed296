import { readFile } from "node:fs/promises";
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument, renderOpenApiDocument } from "../../../src/api/openapi.js";

type Operation = {
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

function operations(): [string, Operation][] {
  const document = buildOpenApiDocument();
  const out: [string, Operation][] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation !== undefined) out.push([`${method.toUpperCase()} ${path}`, operation]);
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document for an independent validator", async () => {
    const document = buildOpenApiDocument();
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("is generated the same way twice (deterministic)", () => {
    expect(renderOpenApiDocument(buildOpenApiDocument())).toBe(renderOpenApiDocument(buildOpenApiDocument()));
  });

  it("matches the committed openapi/openapi.json (run `npm run openapi` after changing a route)", async () => {
    const committed = await readFile(new URL("../../../openapi/openapi.json", import.meta.url), "utf8");
    expect(committed).toBe(renderOpenApiDocument(buildOpenApiDocument()));
  });

  it("lists a problem+json failure response for every failure of every operation", () => {
    const list = operations();
    expect(list.length).toBeGreaterThanOrEqual(24);
    for (const [name, operation] of list) {
      const failures = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
      expect(
        failures.map(([status]) => status),
        name,
      ).toContain("500");
      for (const [status, response] of failures) {
        expect(response.content?.["application/problem+json"]?.schema.$ref, `${name} ${status}`).toBe(
          "#/components/schemas/Problem",
        );
      }
      if (operation.requestBody !== undefined) {
        for (const status of ["400", "413", "415", "422"])
          expect(Object.keys(operation.responses), name).toContain(status);
      }
      // A path or query value can be refused too: by its schema, or as text nothing can store (a
      // percent-encoded NUL in an id).
      if ((operation.parameters?.length ?? 0) > 0)
        expect(Object.keys(operation.responses), name).toContain("422");
    }
  });

  it("puts every admin operation behind the admin token and declares its 401", () => {
    for (const [name, operation] of operations()) {
      if (!name.includes(" /admin/")) continue;
      expect(operation.security, name).toEqual([{ adminToken: [] }]);
      expect(Object.keys(operation.responses), name).toContain("401");
    }
  });
});
