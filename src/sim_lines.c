/* sim_lines: the corpus's customers and the lines every sector shares (the
 * bot's by register, the customers' by language); the sectors' own lines are
 * in sim_corpus.c, with the same placeholders. */
#include <stddef.h>

#include "balie/sim.h"

/* Customers come back: a fixed pool, so a customer's earlier conversations
 * show up in the console. Each speaks one language. */
const struct sim_customer sim_customers[] = {
	{ "Sanne Jansen", SIM_NL },
	{ "Daan de Boer", SIM_NL },
	{ "Fatima el Amrani", SIM_NL },
	{ "Mohammed Yılmaz", SIM_NL },
	{ "Emma van Dijk", SIM_NL },
	{ "Bram Mulder", SIM_NL },
	{ "Noor Bakker", SIM_NL },
	{ "Sem de Jong", SIM_NL },
	{ "Lotte Smit", SIM_NL },
	{ "Kees van der Meer", SIM_NL },
	{ "Ayşe Demir", SIM_NL },
	{ "Jeroen Vermeulen", SIM_NL },
	{ "Zoë Hendriks", SIM_NL },
	{ "Marloes Visser", SIM_NL },
	{ "Henk Dekker", SIM_NL },
	{ "Renée Brouwer", SIM_NL },
	{ "Youssef Benali", SIM_NL },
	{ "Ingrid Kok", SIM_NL },
	{ "Thijs van Leeuwen", SIM_NL },
	{ "Gerda Schouten", SIM_NL },
	{ "Priya Sharma", SIM_EN },
	{ "James O'Brien", SIM_EN },
	{ "Olena Kovalenko", SIM_EN },
	{ "Lucas Moreau", SIM_EN },
	{ "Sophie Williams", SIM_EN },
	{ "Mateusz Nowak", SIM_EN },
	{ "Chloé Laurent", SIM_EN },
	{ "Wei Zhang", SIM_EN },
	{ "Aisha Okafor", SIM_EN },
	{ "Tom Fischer", SIM_EN },
	{ "Elena Rossi", SIM_EN },
	{ "Daniel García", SIM_EN },
};

const size_t sim_ncustomers = sizeof sim_customers / sizeof sim_customers[0];
_Static_assert(sizeof sim_customers / sizeof sim_customers[0] <= SIM_MAX_CUSTOMERS,
	       "raise SIM_MAX_CUSTOMERS in sim.h");

const struct sim_lines sim_lines = {
	/* The store itself tells the customer they talk to an AI assistant
	 * (the disclosure, message 1), so the bot only greets. */
	.intro = {
		"Hoi {first}! ",
		"Goedendag {first}. ",
		"Hi {first}! ",
	},
	.glad = {
		"Graag gedaan! Ik sluit dit gesprek. Je kunt altijd een nieuw gesprek starten.",
		"Graag gedaan! Ik sluit dit gesprek. U kunt altijd een nieuw gesprek starten.",
		"You're welcome! I'll close this chat; you can start a new one any time.",
	},
	.handoff_request = {
		"Natuurlijk. Ik zet je door naar een collega. Die ziet ons gesprek, dus je hoeft niets te herhalen.",
		"Natuurlijk. Ik zet u door naar een collega. Die ziet ons gesprek, dus u hoeft niets te herhalen.",
		"Of course. I'm passing you on to a colleague who can see our conversation, so you won't have to repeat anything.",
	},
	.not_understood_1 = {
		"Sorry, dat begrijp ik niet helemaal. Kun je je vraag anders formuleren?",
		"Excuses, dat begrijp ik niet helemaal. Kunt u uw vraag anders formuleren?",
		"Sorry, I didn't quite understand that. Could you put your question another way?",
	},
	.not_understood_2 = {
		"Het lukt me niet om je vraag te begrijpen. Ik zet je door naar een collega.",
		"Het lukt mij niet om uw vraag te begrijpen. Ik zet u door naar een collega.",
		"I'm afraid I still don't understand. I'm passing you on to a colleague.",
	},
	.handoff_sensitive = {
		"Dit bespreekt een collega liever persoonlijk met je. Ik zet je door; je hoeft je verhaal niet opnieuw te doen.",
		"Dit bespreekt een collega liever persoonlijk met u. Ik zet u door; u hoeft uw verhaal niet opnieuw te doen.",
		"A colleague would rather discuss this with you personally. I'm passing you on; you won't have to tell your story again.",
	},
	.handoff_negative = {
		"Wat vervelend dat het zo loopt, sorry daarvoor. Ik haal er meteen een collega bij.",
		"Wat vervelend dat het zo loopt, onze excuses daarvoor. Ik haal er meteen een collega bij.",
		"I'm sorry this has been so frustrating. I'm getting a colleague for you right away.",
	},
	.lookup = {
		"Een moment, ik zoek {lookup} op…",
		"Een moment, ik zoek {lookup} op…",
		"One moment, I'm looking up {lookup}…",
	},
	.bot_error = {
		"Sorry, er ging iets mis bij het ophalen van je gegevens (foutcode {err}). Ik zet je door naar een collega die verder kan helpen.",
		"Excuses, er ging iets mis bij het ophalen van uw gegevens (foutcode {err}). Ik zet u door naar een collega die verder kan helpen.",
		"Sorry, something went wrong fetching your details (error {err}). I'm passing you on to a colleague who can help.",
	},
	/* The store announces that the assistant is back (bot_back). */
	.back = {
		"Kan ik je nog ergens anders mee helpen?",
		"Kan ik u nog ergens anders mee helpen?",
		"Is there anything else I can help you with?",
	},
	.goodbye = {
		"Fijn! Dan sluit ik dit gesprek. Nog een fijne dag!",
		"Fijn! Dan sluit ik dit gesprek. Nog een prettige dag.",
		"Great! I'll close this chat then. Have a nice day!",
	},
	.summary_request = { "Klant wil een medewerker spreken.", "Customer asked for a person." },
	.summary_not_understood = { "Vraag niet herkend na twee pogingen: \"{q1}\" / \"{q2}\".",
				    "Question not understood after two tries: \"{q1}\" / \"{q2}\"." },
	.summary_negative = { "Klant is boos en gefrustreerd.", "Customer is angry and frustrated." },
	.summary_bot_error = { "Klant vraagt: \"{q1}\" Opzoeken van {lookup} mislukt (foutcode {err}).",
			       "Customer asks: \"{q1}\" Looking up {lookup} failed (error {err})." },
	.resolution_bot = { "Beantwoord door de assistent", "Answered by the assistant" },
	.resolution_back = { "Afgerond door de assistent na terugzetten", "Finished by the assistant after the handback" },
	.ask_person = {
		{ "Ik wil graag een medewerker spreken.", "Kan ik met een mens praten?",
		  "Ik heb liever iemand aan de lijn, geen robot.", "medewerker" },
		{ "I'd like to talk to a person, please.", "Can I speak to a human?",
		  "I'd rather talk to someone real, not a bot.", "agent" },
	},
	.thanks = {
		{ "Top, dank je!", "Duidelijk, bedankt.", "Oké, dan weet ik genoeg. Dankjewel!", "Helder, dank u wel." },
		{ "Great, thanks!", "That's clear, thank you.", "OK, that's all I needed. Cheers!", "Perfect, thanks a lot." },
	},
	.angry = {
		{ "Ik word hier echt gek van. Niemand helpt me!", "Dit slaat nergens op, ik wil dat het nu opgelost wordt.",
		  "Waarom is dit zo ingewikkeld?! Ik heb hier geen tijd voor." },
		{ "I'm really fed up. Nobody is helping me!", "This is unacceptable, I want it fixed now.",
		  "Why is this so complicated?! I don't have time for this." },
	},
	.to_person = {
		{ "Ja, dat klopt.", "Oké. Hoe lang gaat dat duren?", "Moet ik daar nog iets voor opsturen?", "Prima, dat is goed." },
		{ "Yes, that's right.", "OK. How long will that take?", "Do I need to send you anything for that?", "Fine, that works for me." },
	},
	.thanks_person = {
		{ "Heel fijn, bedankt voor de hulp!", "Dank je wel, fijn dat het zo snel geregeld is.", "Super, dankjewel. Fijne dag nog!" },
		{ "Brilliant, thanks for your help!", "Thank you, glad that's sorted so quickly.", "Great, thanks. Have a nice day!" },
	},
	.done = {
		{ "Nee, dat was het. Bedankt!", "Nee hoor, alles is duidelijk." },
		{ "No, that's all. Thanks!", "No, all clear now." },
	},
	.nudge = {
		{ "Hallo? Is er al iemand?", "Ik wacht nog steeds…" },
		{ "Hello? Is anyone there?", "Still waiting…" },
	},
};
