// The API guest programs are written against: GuestContext, what a program running on a vCPU gets.
export { GuestContext } from './context.js';
