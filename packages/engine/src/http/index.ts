export { createHttpHandler } from './handler.js';
export type { HttpHandler, HttpHandlerOptions } from './handler.js';
export { startHttpServer } from './server.js';
export type { HttpServerHandle, HttpServerOptions } from './server.js';
export { generateOpenApi } from './openapi.js';
export type { OpenApiSource } from './openapi.js';
