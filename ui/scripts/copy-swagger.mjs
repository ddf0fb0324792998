// Swagger UI's assets for /docs, copied next to the UI so the API docs work with no network.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { getAbsoluteFSPath } from "swagger-ui-dist";

const target = new URL("../../harrier/webserver/ui_dist/swagger/", import.meta.url).pathname;
mkdirSync(target, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]) {
  copyFileSync(join(getAbsoluteFSPath(), name), join(target, name));
}
