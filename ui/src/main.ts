import { createApp } from "vue";
import App from "./App.vue";
import { router } from "./router";
import { handleUnauthorized } from "./api/client";
import "./style.css";

// Any 401 sends the user to the login page, back to where they were once signed in.
handleUnauthorized(() => {
  const here = router.currentRoute.value;
  if (here.name !== "login") router.push({ name: "login", query: { next: here.fullPath } });
});

createApp(App).use(router).mount("#app");
