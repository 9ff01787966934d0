export * from './client';
export * from './errors';
export * from './host';
export * from './logs';
export * from './models';
export { createDispatcher, type NetworkOptions, proxyFromEnvironment } from './network';
export type { RequestEvent } from './transport';
export type { RetryOptions, TimeoutOptions, WaitEvent } from './waits';
