/**
 * The sample campaign's material: a small adventure written for LoreSmith AI (nothing here
 * is taken from the SRD or any published book). Plain data, so the tests can check every
 * piece against the archive schemas the import validates with. Keys are the entries' and
 * characters' Markdown paths, as an archive names them (relations and sessions refer to them).
 */

export const SAMPLE_NAME = "The Drowned Bell of Hollowmere (sample)";

export const sampleDescription = `A cold lake, a village of fishers and night-watchers, and a chapel that sank eighty years ago. Now its bell rings again after midnight, and those who sleep within earshot walk into the water.

This is LoreSmith AI's **sample campaign**: lore, characters, two sessions, GM-only secrets and an attached house-rules file, so search and the assistant have something to show straight away. Remove it in one click from the home page when you are done.

\`\`\`secret
The bell is rung by Brother Caddoc, the chapel's last priest, who drowned with it. He cannot rest while the silver clapper stolen from the chapel is kept on dry land, and it is: in the mill of Oswin Pell.
\`\`\``;

export interface SampleEntry {
  key: string;
  type: "lore" | "location" | "faction" | "item" | "plot_hook" | "house_rule";
  title: string;
  aliases: string[];
  tags: string[];
  audience: "campaign" | "gm";
  content: string;
}

export const sampleEntries: SampleEntry[] = [
  {
    key: "locations/Hollowmere.md",
    type: "location",
    title: "Hollowmere",
    aliases: ["the village"],
    tags: ["village", "lake"],
    audience: "campaign",
    content: `A village of some two hundred souls on the north shore of a deep, cold lake. Its houses stand on stone footings above the reeds; its boats are painted blue so the drowned will know them as friends.

- **The Weir Inn** keeps the only fire that burns all night.
- **Pell's Mill** turns on the stream that feeds the lake.
- **The Watch Stair**, a stone tower where the [[Lantern Wardens]] keep their lamps.

When the [[Drowned Chapel]]'s bell rings, every shutter in Hollowmere closes.`,
  },
  {
    key: "locations/Drowned Chapel.md",
    type: "location",
    title: "Drowned Chapel",
    aliases: ["the chapel", "Chapel of the Still Water"],
    tags: ["ruin", "underwater"],
    audience: "campaign",
    content: `The Chapel of the Still Water stood in the valley until the old dam failed and the valley became the lake. On a calm day its bell tower can be seen twenty feet under the surface, east of the village.

The villagers say the bell has no clapper and cannot ring. It rings anyway.

\`\`\`secret
The nave is dry: an air pocket held by Brother Caddoc's last prayer. The party can reach it by the flooded crypt stair. The altar holds the [[Tidewrit]].
\`\`\``,
  },
  {
    key: "factions/Lantern Wardens.md",
    type: "faction",
    title: "Lantern Wardens",
    aliases: ["the Wardens"],
    tags: ["watch"],
    audience: "campaign",
    content: `Hollowmere's night watch: a dozen volunteers who walk the shore from dusk to dawn with blue-glass lanterns. A sleeper who walks toward the water can be turned back by a warden's light and a spoken name.

They answer to [[Isel Varrow]]. New wardens swear to "keep the light and call them home".`,
  },
  {
    key: "items/Tidewrit.md",
    type: "item",
    title: "Tidewrit",
    aliases: [],
    tags: ["relic"],
    audience: "campaign",
    content: `A prayer scroll sealed in a bone case, written by the chapel's priests. Read aloud at the water's edge, it silences any bell within a mile until the next new moon.

The Wardens believe it was lost when the chapel sank.`,
  },
  {
    key: "plot hooks/Why the bell rings.md",
    type: "plot_hook",
    title: "Why the bell rings",
    aliases: [],
    tags: ["secret"],
    audience: "gm",
    content: `Forty years ago the young Oswin Pell dived to the chapel and took its silver clapper to pay his debts. He never sold it: it hangs, wrapped in sackcloth, behind the millstone.

While the clapper is on dry land, [[Brother Caddoc]] rings the bell to call it home, and the sleepers who answer drown in its place. Returning the clapper to the chapel, or reading the [[Tidewrit]] over it, ends the tolling.`,
  },
  {
    key: "house rules/Lantern light.md",
    type: "house_rule",
    title: "Lantern light",
    aliases: [],
    tags: ["house rule"],
    audience: "campaign",
    content: `A warden's lantern sheds blue light for 30 feet. A sleepwalker who sees it and hears their own name may repeat the Wisdom save against the bell at once. The full house rules are in the attached file *Hollowmere house rules*.`,
  },
];

export interface SampleCharacter {
  key: string;
  name: string;
  type: "pc" | "npc";
  audience: "campaign" | "gm";
  details: { ancestry?: string; characterClass?: string; level?: number; alignment?: string; playerName?: string };
  backstory: string;
}

export const sampleCharacters: SampleCharacter[] = [
  {
    key: "npcs/Isel Varrow.md",
    name: "Isel Varrow",
    type: "npc",
    audience: "campaign",
    details: { ancestry: "Human", characterClass: "Veteran", alignment: "Lawful good" },
    backstory: `Captain of the [[Lantern Wardens]], sixty winters old, who lost her brother to the lake the first night the bell rang. Blunt, tireless, and quietly sure that someone in the village knows more than they say.

She pays the party in fish, lamp oil and the truth as she knows it.`,
  },
  {
    key: "npcs/Oswin Pell.md",
    name: "Oswin Pell",
    type: "npc",
    audience: "campaign",
    details: { ancestry: "Human", characterClass: "Commoner", alignment: "Neutral" },
    backstory: `Hollowmere's miller: round, generous, first to offer a bed to travellers. He sleeps badly and keeps the mill lit all night.

\`\`\`secret
Oswin stole the chapel's silver clapper as a young man (see [[Why the bell rings]]). He will confess only if shown that the drownings will not stop otherwise.
\`\`\``,
  },
  {
    key: "npcs/Brother Caddoc.md",
    name: "Brother Caddoc",
    type: "npc",
    audience: "gm",
    details: { ancestry: "Human (ghost)", characterClass: "Priest", alignment: "Lawful neutral" },
    backstory: `The last priest of the [[Drowned Chapel]], who stayed to ring the warning bell when the dam failed and drowned in the tower. His ghost is not cruel, only single-minded: the chapel must be whole.

He speaks through the bell; anyone who reaches the nave can speak with him directly.`,
  },
  {
    key: "pcs/Wren Ashdown.md",
    name: "Wren Ashdown",
    type: "pc",
    audience: "campaign",
    details: { ancestry: "Half-elf", characterClass: "Ranger", level: 3, alignment: "Chaotic good", playerName: "Sam" },
    backstory: `A tracker from the hill country who came to Hollowmere looking for a missing cousin, and found the cousin's boots on the shore. She has sworn to learn where the sleepers go.`,
  },
];

export const sampleRelations = [
  {
    from: "factions/Lantern Wardens.md",
    to: "locations/Hollowmere.md",
    type: "located_in" as const,
    audience: "campaign" as const,
  },
  {
    from: "npcs/Isel Varrow.md",
    to: "factions/Lantern Wardens.md",
    type: "member_of" as const,
    audience: "campaign" as const,
  },
  {
    from: "npcs/Oswin Pell.md",
    to: "locations/Hollowmere.md",
    type: "located_in" as const,
    audience: "campaign" as const,
  },
  {
    from: "npcs/Brother Caddoc.md",
    to: "locations/Drowned Chapel.md",
    type: "located_in" as const,
    audience: "gm" as const,
  },
];

export interface SampleSession {
  key: string;
  number: number;
  /** Days before the sample is added: the sessions were "played" recently. */
  daysAgo: number;
  title: string;
  attendees: string[];
  audience: "campaign" | "gm";
  notes: string;
  recap: string;
}

export const sampleSessions: SampleSession[] = [
  {
    key: "sessions/001 The first toll.md",
    number: 1,
    daysAgo: 14,
    title: "The first toll",
    attendees: ["pcs/Wren Ashdown.md"],
    audience: "campaign",
    notes: `Opened at the Weir Inn. Wren asked about her cousin; Isel offered a place on the night watch. Bell rang at 2 a.m.: Wren failed her save and walked to the shore, turned back by Isel's lantern.`,
    recap: `Wren arrived in Hollowmere, joined the Lantern Wardens for a night, and heard the drowned bell ring. She woke knee-deep in the lake with Isel Varrow calling her name.`,
  },
  {
    key: "sessions/002 Beneath the reeds.md",
    number: 2,
    daysAgo: 7,
    title: "Beneath the reeds",
    attendees: ["pcs/Wren Ashdown.md"],
    audience: "campaign",
    notes: `Wren dived to the bell tower and saw that the bell has no clapper. Oswin went pale when she mentioned it. Next time: the crypt stair, and Oswin's sleepless nights.`,
    recap: `Wren swam out to the sunken bell tower and found the bell without its clapper. Back on shore, the miller Oswin Pell seemed very interested in what she had seen.`,
  },
];

/** Questions the sample answers well, shown beside it (each found in the material above). */
export const sampleQuestions = [
  "What happens when the bell rings?",
  "Who leads the Lantern Wardens?",
  "How long does lantern oil last?",
  "What does the Tidewrit do?",
];

export const HOUSE_RULES_TITLE = "Hollowmere house rules (sample)";

/** The attached house rules, in Markdown; the PDF handout prints the same text. ASCII only (the PDF's font). */
export const houseRulesMarkdown = `# Hollowmere house rules

These rules are used at our table for The Drowned Bell of Hollowmere.

## The bell

When the drowned bell rings, every creature asleep within one mile of the lake makes a DC 12 Wisdom saving throw. On a failure it sleepwalks toward the water at its walking speed and does not wake when it enters the lake. A creature that succeeds is immune to the bell until the next night.

## Cold water

The lake is cold enough to kill. A creature that ends its turn in the water makes a DC 10 Constitution saving throw or gains one level of exhaustion. A creature wearing a warden's oilskin has advantage on the save.

## Lantern oil

A flask of lantern oil keeps a warden's lantern lit for four hours. The Wardens give each new warden two flasks a night; more cost a silver piece each at the Weir Inn.

## Calling a sleeper home

A creature within 30 feet of a lit warden's lantern that hears its own name spoken may repeat its saving throw against the bell, ending the effect on a success.

## Table rules

- Whoever writes the session recap starts the next session with inspiration.
- Rolls are made in the open unless the GM says otherwise.
- Phones face down while the bell is ringing.
`;
