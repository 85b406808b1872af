// Each response level's colour name (lib/emergency.js COLOURS), for the legend and the picker.
export const LEVEL_COLOUR = { I: 'red', II: 'orange', III: 'yellow', IV: 'blue' }
