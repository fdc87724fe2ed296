/** Where the demo reports (pino fits). */
export interface DemoLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}
