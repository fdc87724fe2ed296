import type { App } from "../../../app-env.js";
import { registerSendMessageBatch } from "./batch.js";
import { registerCancelMessage } from "./cancel.js";
import { registerGetMessage } from "./get.js";
import { registerListMessages } from "./list.js";
import { registerPreviewMessage } from "./preview.js";
import { registerSendMessage } from "./send.js";

/** The customer routes for messages, in the order the OpenAPI document lists them. */
export const MESSAGE_ROUTES: ReadonlyArray<(app: App) => unknown> = [
  registerSendMessage,
  registerSendMessageBatch,
  registerPreviewMessage,
  registerListMessages,
  registerGetMessage,
  registerCancelMessage,
];
