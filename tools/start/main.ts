// npm start: the device's whole life against the local simulator. The tour arrives with the
// reconnection issue; until then this says so plainly.
console.log("npm start: the simulator tour is not built yet (it arrives with the reconnection state machine).");
console.log("Meanwhile: npm run build builds dist/firmware.js; npm test runs the test suite.");
