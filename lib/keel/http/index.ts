// keel's HTTP room, as the product and bin/www use it: the app, the route table's shape, operations
// and their responses, the errors a controller throws, the unit of work and the request settings.
// Modules inside lib/keel import each other directly, never this file (no import cycles).
export type { Access } from './access';
export { createApp } from './app';
export { HttpError, NotFoundError, ValidationError } from './errors';
export { createdResponse, jsonResponse, noContentResponse, responseRef } from './openapi';
export { handle, operation, type Examples, type Operation } from './operation';
export { nestedListOperation, resourceOperations, type ParentOf, type ResourceNames, type ResourceSchemas } from './resource-operations';
export { RequestSettings, type RequestSettingsHook } from './request-settings';
export type { AppDeps, RouteDeps, RouteEntry } from './routes';
export type { UnitOfWork } from './unit-of-work';
