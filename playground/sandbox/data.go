package sandbox

// airport is one row of the airports table plus the region used to price
// and time the flights between two airports.
type airport struct {
	code, city, country, region string
}

// airports returns the airports of the demo airline: real IATA codes.
func airports() []airport {
	return []airport{
		{"AKL", "Auckland", "New Zealand", "OC"},
		{"AMS", "Amsterdam", "Netherlands", "EU"},
		{"ARN", "Stockholm", "Sweden", "EU"},
		{"ATH", "Athens", "Greece", "EU"},
		{"ATL", "Atlanta", "United States", "NA"},
		{"BCN", "Barcelona", "Spain", "EU"},
		{"BKK", "Bangkok", "Thailand", "AS"},
		{"BOG", "Bogotá", "Colombia", "SA"},
		{"BOS", "Boston", "United States", "NA"},
		{"BRU", "Brussels", "Belgium", "EU"},
		{"CAI", "Cairo", "Egypt", "AF"},
		{"CDG", "Paris", "France", "EU"},
		{"CPH", "Copenhagen", "Denmark", "EU"},
		{"DEL", "Delhi", "India", "AS"},
		{"DFW", "Dallas", "United States", "NA"},
		{"DOH", "Doha", "Qatar", "ME"},
		{"DUB", "Dublin", "Ireland", "EU"},
		{"DXB", "Dubai", "United Arab Emirates", "ME"},
		{"EZE", "Buenos Aires", "Argentina", "SA"},
		{"FCO", "Rome", "Italy", "EU"},
		{"FRA", "Frankfurt", "Germany", "EU"},
		{"GRU", "São Paulo", "Brazil", "SA"},
		{"HEL", "Helsinki", "Finland", "EU"},
		{"HKG", "Hong Kong", "China", "AS"},
		{"HND", "Tokyo", "Japan", "AS"},
		{"ICN", "Seoul", "South Korea", "AS"},
		{"IST", "Istanbul", "Türkiye", "EU"},
		{"JFK", "New York", "United States", "NA"},
		{"JNB", "Johannesburg", "South Africa", "AF"},
		{"LAX", "Los Angeles", "United States", "NA"},
		{"LHR", "London", "United Kingdom", "EU"},
		{"LIS", "Lisbon", "Portugal", "EU"},
		{"MAD", "Madrid", "Spain", "EU"},
		{"MEL", "Melbourne", "Australia", "OC"},
		{"MEX", "Mexico City", "Mexico", "NA"},
		{"MIA", "Miami", "United States", "NA"},
		{"MUC", "Munich", "Germany", "EU"},
		{"NBO", "Nairobi", "Kenya", "AF"},
		{"ORD", "Chicago", "United States", "NA"},
		{"OSL", "Oslo", "Norway", "EU"},
		{"PEK", "Beijing", "China", "AS"},
		{"PRG", "Prague", "Czechia", "EU"},
		{"SEA", "Seattle", "United States", "NA"},
		{"SFO", "San Francisco", "United States", "NA"},
		{"SIN", "Singapore", "Singapore", "AS"},
		{"SYD", "Sydney", "Australia", "OC"},
		{"VIE", "Vienna", "Austria", "EU"},
		{"WAW", "Warsaw", "Poland", "EU"},
		{"YUL", "Montreal", "Canada", "NA"},
		{"YVR", "Vancouver", "Canada", "NA"},
		{"YYZ", "Toronto", "Canada", "NA"},
		{"ZRH", "Zurich", "Switzerland", "EU"},
	}
}

// routeBase returns the typical block time in minutes and the miles price of
// a flight between two regions.
func routeBase(a, b string) (minutes, miles int) {
	if a > b {
		a, b = b, a
	}
	switch {
	case a == b && (a == "EU" || a == "ME"):
		return 135, 7500
	case a == b:
		return 210, 12500
	case a+b == "EUME" || a+b == "AFME" || a+b == "ASME":
		return 360, 20000
	case a+b == "EUNA" || a+b == "AFEU":
		return 510, 30000
	case a+b == "NASA" || a+b == "EUSA":
		return 600, 35000
	default:
		return 780, 45000
	}
}

// firstNames and lastNames make up member and customer names.
func firstNames() []string {
	return []string{
		"Aisha", "Alejandro", "Amara", "Anna", "Arjun", "Ben", "Camille", "Chen", "Chloe", "Daniel",
		"Diego", "Elena", "Emeka", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines",
		"Isabel", "Ivan", "Jakob", "James", "Jin", "Julia", "Kai", "Kofi", "Lars", "Layla",
		"Leila", "Liam", "Lucas", "Maya", "Mei", "Mateo", "Mohammed", "Nadia", "Nina", "Noah",
		"Olga", "Omar", "Oscar", "Priya", "Rafael", "Rosa", "Sakura", "Samuel", "Sara", "Sofia",
		"Tariq", "Thomas", "Valentina", "Wei", "Yara", "Yusuf", "Zanele", "Zoe",
	}
}

func lastNames() []string {
	return []string{
		"Ahmed", "Andersen", "Bauer", "Becker", "Costa", "Da Silva", "Dubois", "Fernández", "Fischer", "García",
		"Haddad", "Hansen", "Ito", "Jansen", "Johnson", "Kim", "Kowalski", "Kumar", "Laurent", "Lee",
		"Li", "López", "Martin", "Mendes", "Moreau", "Müller", "Murphy", "Nakamura", "Nguyen", "Novak",
		"Okafor", "Olsen", "Park", "Patel", "Petrov", "Popescu", "Rossi", "Santos", "Schmidt", "Singh",
		"Smith", "Svensson", "Tanaka", "Torres", "Wang", "Williams", "Yilmaz", "Zhang",
	}
}

// shopCities are where the shop's customers live.
func shopCities() []string {
	return []string{
		"Amsterdam", "Berlin", "Bristol", "Brno", "Copenhagen", "Cork", "Ghent", "Gothenburg", "Graz", "Hamburg",
		"Helsinki", "Kraków", "Leeds", "Lille", "Lisbon", "Lyon", "Madrid", "Milan", "Munich", "Oslo",
		"Porto", "Prague", "Rotterdam", "Seville", "Tallinn", "Turin", "Utrecht", "Valencia", "Vienna", "Zurich",
	}
}

// category is a product line of the shop: a SKU prefix, a price range in
// cents, and the words product names are made from.
type category struct {
	name, prefix       string
	minCents, maxCents int
	adjectives, nouns  []string
}

func categories() []category {
	return []category{
		{"kitchen", "KIT", 499, 12900,
			[]string{"Walnut", "Enamel", "Cast-Iron", "Ceramic", "Copper", "Bamboo"},
			[]string{"Chef Knife", "Skillet", "Teapot", "Cutting Board", "Mixing Bowl", "Espresso Cup", "Colander"}},
		{"outdoor", "OUT", 899, 24900,
			[]string{"Trail", "Alpine", "Storm", "Featherweight", "Coastal"},
			[]string{"Backpack", "Tent", "Headlamp", "Water Bottle", "Rain Jacket", "Sleeping Bag"}},
		{"office", "OFF", 199, 8900,
			[]string{"Recycled", "Linen", "Brass", "Matte", "Pocket"},
			[]string{"Notebook", "Fountain Pen", "Desk Lamp", "Stapler", "Planner", "Pencil Case"}},
		{"audio", "AUD", 1499, 34900,
			[]string{"Studio", "Wireless", "Compact", "Retro", "Noise-Cancelling"},
			[]string{"Headphones", "Speaker", "Turntable", "Earbuds", "Microphone"}},
		{"home", "HOM", 599, 19900,
			[]string{"Wool", "Oak", "Terracotta", "Velvet", "Woven"},
			[]string{"Throw Blanket", "Side Table", "Plant Pot", "Cushion", "Wall Clock", "Rug"}},
	}
}
