// The MQTT 3.1.1 client in one import: codec (encode, decode, frame reader) and session.
export * from "./packet";
export * from "./encode";
export * from "./decode";
export * from "./frame-reader";
export * from "./session-api";
export * from "./session";
