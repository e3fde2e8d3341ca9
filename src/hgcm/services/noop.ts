// Test service "noop": every call completes at once with VINF_SUCCESS; for measuring the call path itself.
import { Status } from '../../abi/index.js';
import { defineService } from '../service.js';

export default defineService({
  call() {
    return Status.VINF_SUCCESS;
  },
});
