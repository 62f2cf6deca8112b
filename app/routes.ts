import { index, layout, type RouteConfig, route } from "@react-router/dev/routes";

export default [
  index("routes/landing.tsx"),
  route("login", "routes/login.tsx"),
  route("signup", "routes/signup.tsx"),
  route("logout", "routes/logout.tsx"),
  // Everything below requires a signed-in user (guarded by the layout's middleware).
  layout("routes/app-layout.tsx", [
    route("home", "routes/home.tsx"),
    route("campaigns", "routes/campaigns.tsx"),
    route("library", "routes/library.tsx"),
    route("search", "routes/search.tsx"),
    route("assistant", "routes/assistant.tsx"),
    route("settings", "routes/settings.tsx"),
  ]),
  route("*", "routes/not-found.tsx"),
] satisfies RouteConfig;
