// The API docs' assets (Swagger UI for /docs, ReDoc for /redoc), copied next to the UI so the
// docs work with no network.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { getAbsoluteFSPath } from "swagger-ui-dist";

const ui = new URL("../../harrier/webserver/ui_dist/", import.meta.url).pathname;

function copy(from, names, to) {
  mkdirSync(join(ui, to), { recursive: true });
  for (const name of names) copyFileSync(join(from, name), join(ui, to, name));
}

copy(getAbsoluteFSPath(), ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"], "swagger");
const redoc = dirname(createRequire(import.meta.url).resolve("redoc/bundles/redoc.standalone.js"));
copy(redoc, ["redoc.standalone.js"], "redoc");
