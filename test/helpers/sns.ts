// SNS for the Workers tests: test/support/sns.ts with pages served by this project's harness.
import { harnessUrl } from "./ingest";
import { servePage as serveOn } from "../support/sns";

export { confirmation, createSigner, notification, pageHits, SECOND_TOPIC_ARN, sign, TEST_TOPIC_ARN, type Signer } from "../support/sns";

/** Serves `body` on the harness at a fresh path (status `status`) and returns its URL. */
export const servePage = (body: string, status = 200) => serveOn(harnessUrl, body, status);
