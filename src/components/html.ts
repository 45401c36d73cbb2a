// Hypertext literal from node_modules (Framework's implicit `html` would come from a CDN).
export {html, svg} from "htl";
