import { describe, expect, it } from "vitest";
import { postgresTarget } from "../../../src/db/client.js";

describe("postgresTarget", () => {
  it("leaves a TCP URL as it is", () => {
    const url = "postgres://app:pw@db.internal:5433/bridge?sslmode=require";
    expect(postgresTarget(url)).toEqual({ url });
  });

  it("turns libpq's host=/dir into the driver's host option and drops it from the URL", () => {
    const target = postgresTarget(
      "postgres://postgres@localhost:5432/bridge?host=/var/run/postgresql&application_name=x",
    );
    expect(target.host).toBe("/var/run/postgresql");
    const url = new URL(target.url);
    expect(url.searchParams.has("host")).toBe(false);
    expect(url.searchParams.get("application_name")).toBe("x");
    expect(url.pathname).toBe("/bridge");
    expect(url.port).toBe("5432");
  });

  it("reads libpq's percent-encoded socket directory in the host the same way", () => {
    const target = postgresTarget("postgres://app@%2Fvar%2Frun%2Fpostgresql:5433/bridge?sslmode=disable");
    expect(target.host).toBe("/var/run/postgresql");
    const url = new URL(target.url);
    expect(url.hostname).toBe("localhost");
    expect(url.port).toBe("5433");
    expect(url.pathname).toBe("/bridge");
    expect(url.username).toBe("app");
  });

  it("keeps a host parameter that is not a directory (the server gets it, as before)", () => {
    const url = "postgres://postgres@localhost/bridge?host=db";
    expect(postgresTarget(url)).toEqual({ url });
  });
});
