// The application version built into this bundle (package.json "version"; a test keeps the
// two equal). The OTA agent reports it until a boot selector names the running version.
export const APP_VERSION = "0.1.0";
