// A ~50 KB text with a distinctive style for the "Teach it" benchmark (docs/teach.md): a ship's log
// written from a template with seeded choices, so every run makes the same bytes.
// Usage: node bench/teach-text.mjs OUT.txt [BYTES]
import { writeFileSync } from 'node:fs';

const [out, size = '51200'] = process.argv.slice(2);
let s = 12345;
const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = (a) => a[Math.floor(rnd() * a.length)];
const winds = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'];
const skies = ['a grey sky', 'a clear sky', 'low cloud', 'a fine drizzle', 'squalls of rain', 'a thick fog', 'a red dawn'];
const sights = ['two gulls off the starboard bow', 'a whale blowing to leeward', 'a brig bound for Lisbon', 'driftwood and weed', 'the lighthouse at dusk', 'a school of porpoises', 'nothing but the sea'];
const meals = ['barley soup', 'salt pork and biscuit', 'pea soup', 'boiled beef', 'fish stew', 'plum duff'];
const moods = ['cheerful', 'weary', 'quarrelsome', 'quiet', 'in good spirits', 'anxious'];
const jobs = ['mended the foresail', 'scraped the deck', 'pumped the bilge', 'tarred the rigging', 'sounded the well', 'stowed the cable'];
let text = '';
for (let day = 1; text.length < Number(size); day++) {
  text += `Day ${day}. Wind from the ${pick(winds)}, force ${1 + Math.floor(rnd() * 8)}, under ${pick(skies)}. `;
  text += `Sighted ${pick(sights)}. The watch ${pick(jobs)}. The cook made ${pick(meals)}. `;
  text += `Mood of the crew: ${pick(moods)}. Position at noon ${Math.floor(rnd() * 60)} degrees ${Math.floor(rnd() * 60)} minutes north.\n`;
}
writeFileSync(out, text.slice(0, Number(size)));
