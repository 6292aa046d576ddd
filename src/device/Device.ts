/** Backend detection, selection and a scoped tfjs handle per backend: the device service's public face. */
export { acquireDevice } from "./acquire.js"
export {
  DeviceNames,
  DeviceUnavailable,
  type DeviceHandle,
  type DeviceName,
  type DeviceRequest,
  type DeviceSelection,
  type DeviceStatus,
  type EngineKind,
  type Tfjs
} from "./domain.js"
export { probeDevices, probeTimeout, type ProbeOptions } from "./probe.js"
export { chooseDevice, fixFor, runsOnGpu, selectDevice } from "./select.js"
