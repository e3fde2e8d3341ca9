// Test service "noop": every call completes at once with VINF_SUCCESS; for measuring the call path itself.
// The "inline" export is the same service run on the device thread ("noop-inline"; HgcmService.inline).
import { Status } from '../../abi/index.js';
import { defineService } from '../service-api.js';

const noop = defineService({
  call() {
    return Status.VINF_SUCCESS;
  },
});

export default noop;

/** The same service, its calls completed on the device thread before the port write returns. */
export const inline = defineService({ ...noop, inline: true });
