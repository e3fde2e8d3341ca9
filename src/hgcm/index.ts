// Host HGCM: the service interface and registry, clients, the connector the device admits work through,
// and the dispatch ring to the host workers. Services import only ./service-api.ts, the package's
// 'hgcm-runtime/service'.
export { ClientState, ClientTable, MAX_SERVICES } from './clients.js';
export type { ClientInfo } from './clients.js';
export { HgcmConnector } from './connector.js';
export { hostCall } from './host-call.js';
export { buildRegistry, builtinServiceModule, loadService, loadServices } from './registry.js';
export type { ServiceConfig, ServicePlacement, ServiceSpec } from './registry.js';
export { DispatchRing, Work } from './ring.js';
export type { WorkItem, WorkKind } from './ring.js';
// What the host side needs of the service interface (services themselves import ./service-api.ts).
export type { GuestPages, HgcmService, ServiceContext, SvcCall, SvcParm } from './service.js';
