/** The body of a webhook: `{ id, type, created_at, data }` (DESIGN.md §4), built from stored text. */

/**
 * `data` is the event's stored JSON text as is (already valid JSON), so a body costs one string
 * concatenation rather than a parse and a stringify.
 */
export function webhookBody(eventId: string, type: string, createdAtIso: string, dataJson: string): string {
  return `{"id":${JSON.stringify(eventId)},"type":${JSON.stringify(type)},"created_at":${JSON.stringify(createdAtIso)},"data":${dataJson}}`;
}
