/**
 * The logging surface services need: the app passes its pino logger (so lines reach stdout and the admin log
 * viewer); command-line tools and scripts get the console.
 */
export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export const consoleLogger: Logger = {
  info: (object, message) => console.log(message, object),
  warn: (object, message) => console.warn(message, object),
};
