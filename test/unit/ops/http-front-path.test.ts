import { describe, expect, it } from "vitest";
import { pathOf } from "../../../src/ops/http-front.js";

describe("pathOf", () => {
  it.each([
    ["http://127.0.0.1:3000/v1/messages", "/v1/messages"],
    ["http://127.0.0.1:3000/v1/messages?status=sent&to=%2B44", "/v1/messages"],
    ["https://api.example.test/", "/"],
    ["http://localhost:8080", "/"],
    ["http://localhost:8080?x=1", "/"],
    ["http://[::1]:8080/admin/upstreams/upl_1/sessions", "/admin/upstreams/upl_1/sessions"],
  ])("%s → %s", (url, path) => {
    expect(pathOf(url)).toBe(path);
  });
});
