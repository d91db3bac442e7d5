export { LiveClient, PROTOCOL, tabClientId } from './client';
export type {
  IBackoff,
  ILiveClientOptions,
  ILiveSocket,
  ILiveSubscription,
  ISubscriptionHandlers,
  LiveStatus,
  SocketFactory
} from './client';
export { NebulaDate, NebulaDecimal, decode, encode } from './codec';
export { liveClientFor } from './connect';
