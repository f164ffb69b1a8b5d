export { type ActiveFreeze, activeFreeze, describeFreeze } from "./freeze.js";
export {
  checkPromotionOrder,
  nextEnvironments,
  type ServiceVersion,
  succeededIn,
} from "./promotion.js";
