/** A response of the bridge's own API, body parsed when it is JSON. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** The bridge answered something the demo setup cannot go on from. */
export class DemoSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoSetupError";
  }
}

/** Each call to the local API gives up after this long (milliseconds). */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The demo sets itself up through the public admin and customer APIs, exactly as an operator would:
 * what it creates goes through validation, encryption at rest and the live pool like anything else.
 */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** The same API with another bearer token (an account's API key). */
  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async call(method: string, path: string, json?: unknown): Promise<ApiAnswer> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: json === undefined ? null : JSON.stringify(json),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the error message.
    }
    return { status: response.status, body };
  }

  /** Like {@link call}, but anything other than one of `expected` statuses throws. */
  async expect(method: string, path: string, expected: number[], json?: unknown): Promise<ApiAnswer> {
    const answer = await this.call(method, path, json);
    if (!expected.includes(answer.status)) {
      const detail =
        typeof answer.body === "object" && answer.body !== null ? answer.body : { body: answer.body };
      throw new DemoSetupError(`${method} ${path} answered ${answer.status}: ${JSON.stringify(detail)}`);
    }
    return answer;
  }

  /** Every item of a paged list (`{ data, next_cursor }`), at most `maxPages` pages of 100. */
  async listAll(path: string, maxPages = 50): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const separator = path.includes("?") ? "&" : "?";
      const query: string = `${separator}limit=100${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const { body } = await this.expect("GET", `${path}${query}`, [200]);
      const { data, next_cursor } = body as { data: Record<string, unknown>[]; next_cursor: string | null };
      items.push(...data);
      if (next_cursor === null) break;
      cursor = next_cursor;
    }
    return items;
  }
}

/** A string field of an API object; throws when it is missing (the contract says it is there). */
export function field(body: unknown, name: string): string {
  const value =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== "string") throw new DemoSetupError(`the API answer has no "${name}"`);
  return value;
}
