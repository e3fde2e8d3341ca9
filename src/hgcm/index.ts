// Host HGCM: the service interface and registry, clients, the connector the device admits work through,
// and the dispatch ring to the host workers. Services import only ./service-api.ts, the package's
// 'hgcm-runtime/service'.
export { ClientState, ClientTable, MAX_SERVICES } from './clients.js';
export type { ClientInfo } from './clients.js';
export { HgcmConnector } from './connector.js';
export { buildRegistry, builtinServiceModule, loadService, loadServices } from './registry.js';
export type { ServiceConfig, ServiceSpec } from './registry.js';
export { DispatchRing, Work } from './ring.js';
export type { WorkItem, WorkKind } from './ring.js';
export { defineService } from './service.js';
export type {
  ClientRef,
  GuestPages,
  HgcmService,
  ServiceContext,
  SvcCall,
  SvcParm,
  SvcParmPages,
  SvcParmPtr,
  SvcParmU32,
  SvcParmU64,
} from './service.js';
