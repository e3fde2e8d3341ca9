// What a service module needs, in one import ('hgcm-runtime/service'): the interface, its helper, and
// the status codes services answer with.
export { defineService } from './service.js';
export type {
  CallsPerCategory,
  ClientRef,
  GuestPages,
  HgcmService,
  ServiceContext,
  ServiceHost,
  SvcCall,
  SvcParm,
  SvcParmPages,
  SvcParmPtr,
  SvcParmU32,
  SvcParmU64,
} from './service.js';
export { RT_FAILURE, RT_SUCCESS, Status, statusName } from '../abi/index.js';
export type { StatusCode } from '../abi/index.js';
