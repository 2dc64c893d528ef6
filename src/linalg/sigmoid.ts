/** The logistic function 1 / (1 + e^−z) in float64: the JavaScript backend's, and the reference for the others. */
export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
