export * from './client';
export * from './errors';
export * from './host';
export * from './logs';
export * from './models';
export { createDispatcher, proxyFromEnvironment } from './transport';
export type { NetworkOptions, RequestEvent, RetryOptions, TimeoutOptions, WaitEvent } from './transport';
